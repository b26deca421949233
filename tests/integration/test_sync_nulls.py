"""NULL handling of synced rules against the emulator reading a real DuckDB table.

dbt's accepted_values, accepted_range, unique and expression_is_true skip NULL rows, while
not_null fails them; after `sync apply` the platform's checks must agree with dbt on NULLs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY
from dbt_armor.project import NameResolver, load_manifest
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.service import apply_plan, make_plan

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
SOURCE = "source.shop.raw.orders"
# (test name, namespace, column, extra kwargs, outcome dbt would give on the rows below)
TESTS: list[tuple[str, str | None, str, dict[str, Any], str]] = [
    ("accepted_values", None, "status", {"values": ["placed", "shipped"]}, "pass"),
    ("accepted_range", "dbt_utils", "amount", {"min_value": 0, "max_value": 100}, "pass"),
    ("expression_is_true", "dbt_utils", "amount", {"expression": ">= 0"}, "pass"),
    ("unique", None, "status", {}, "fail"),  # 'placed' twice
    ("unique", None, "id", {}, "pass"),
    ("not_null", None, "status", {}, "fail"),
    ("not_null", None, "id", {}, "pass"),
]


def _test_node(name: str, namespace: str | None, column: str, kwargs: dict[str, Any]) -> Any:
    uid = f"test.shop.{name}_orders_{column}.{len(kwargs)}"
    model = "{{ get_where_subquery(source('raw', 'orders')) }}"
    return uid, {
        "unique_id": uid,
        "name": f"{name}_orders_{column}",
        "resource_type": "test",
        "package_name": "shop",
        "fqn": ["shop", name],
        "database": "wh",
        "schema": "main",
        "alias": name,
        "column_name": column,
        "config": {"enabled": True, "severity": "ERROR", "meta": {}, "tags": []},
        "depends_on": {"macros": [], "nodes": [SOURCE]},
        "test_metadata": {
            "name": name,
            "namespace": namespace,
            "kwargs": {"column_name": column, "model": model, **kwargs},
        },
    }


def _manifest() -> dict[str, Any]:
    nodes = dict(_test_node(n, ns, col, kw) for n, ns, col, kw, _ in TESTS)
    source = {
        "unique_id": SOURCE,
        "resource_type": "source",
        "package_name": "shop",
        "source_name": "raw",
        "name": "orders",
        "identifier": "orders",
        "database": "wh",
        "schema": "raw",
        "fqn": ["shop", "raw", "orders"],
        "config": {"enabled": True, "meta": {}},
    }
    meta = {
        "adapter_type": "duckdb",
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
        "dbt_version": "1.11.16",
        "project_name": "shop",
    }
    return {"metadata": meta, "nodes": nodes, "sources": {SOURCE: source}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, Path]]:
    root = tmp_path_factory.mktemp("nulls")
    db = root / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.orders (id INT, status VARCHAR, amount DOUBLE)")
        con.execute(
            "INSERT INTO raw.orders VALUES (1, 'placed', 5), (2, NULL, NULL), (3, 'shipped', 7),"
            " (4, NULL, NULL), (5, 'placed', 9)"
        )
    manifest_path = root / "manifest.json"
    manifest_path.write_text(json.dumps(_manifest()))
    emulator = EmulatorServer(EmulatorConfig(port=0, warehouse=db, seed=7)).start()
    resp = httpx.post(f"{emulator.url}/_emulator/manifest?data_source=wh", json=_manifest())
    assert resp.status_code < 300, resp.text
    yield emulator, manifest_path
    emulator.stop()


def test_checks_of_synced_rules_agree_with_dbt_on_nulls(
    server: tuple[EmulatorServer, Path],
) -> None:
    emulator, manifest_path = server
    manifest = load_manifest(manifest_path)
    resolver = NameResolver(manifest, target="dev", data_sources={"*": "wh"})
    with ArmorClient(api_key=DEFAULT_READWRITE_KEY, base_url=emulator.api_url) as client:
        plan = make_plan(client, manifest, resolver.resolve, dialect="upper", now=NOW)
        assert plan.counts()["create"] == len(TESTS), plan.unmapped
        result = apply_plan(client, plan, prune=False, saved=False)
        assert not result.errors
        outcomes: dict[str, str] = {}
        for rule in client.validity.iter("wh"):
            marker = parse_marker(rule.description)
            assert marker is not None
            assert rule.treat_null_as_valid is (rule.rule_type != "NOT_NULL"), marker.key
            outcomes[marker.key] = client.validity.check("wh", rule.uuid).status
    expected = {
        f"{SOURCE}:{col}:{f'{ns}.' if ns else ''}{name}": outcome
        for name, ns, col, _, outcome in TESTS
    }
    assert outcomes == expected
