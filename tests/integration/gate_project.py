"""Builders for integration tests: a hand-made manifest, a Prepared without dbt, a project dir
holding only a manifest (for the CLI without dbt), the CLI run in-process, and the emulator
control calls (manifests, freshness overrides, forced rule outcomes, faults).

Test plumbing only; the code under test is called unchanged.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_armor.config import Settings
from dbt_armor.emulator import EmulatorServer
from dbt_armor.gate.engine import GateResult
from dbt_armor.gate.pipeline import Prepared, check
from dbt_armor.project import load_manifest

MANIFESTS = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
DATA_SOURCE = "warehouse"
DATABASE = "demo"
SCHEMA = "raw"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
SCHEMA_URL = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def qn(table: str) -> str:
    return f"{DATA_SOURCE}.{DATABASE}.{SCHEMA}.{table}"


def source_id(table: str) -> str:
    return f"source.shop.raw.{table}"


def model_id(table: str) -> str:
    return f"model.shop.stg_{table}"


def manifest_doc(
    tables: Sequence[str], source_meta: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """A v12 manifest on duckdb: one source per table, each read by one staging model."""
    sources: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    for t in tables:
        sid, mid = source_id(t), model_id(t)
        sources[sid] = {
            "unique_id": sid, "resource_type": "source", "source_name": "raw", "name": t,
            "identifier": t, "package_name": "shop", "database": DATABASE, "schema": SCHEMA,
            "fqn": ["shop", "raw", t], "original_file_path": "models/sources.yml",
            "meta": dict((source_meta or {}).get(t, {})),
        }  # fmt: skip
        nodes[mid] = {
            "unique_id": mid, "resource_type": "model", "name": f"stg_{t}", "alias": f"stg_{t}",
            "package_name": "shop", "database": DATABASE, "schema": "staging",
            "fqn": ["shop", "staging", f"stg_{t}"], "original_file_path": f"models/stg_{t}.sql",
            "config": {"materialized": "view"}, "depends_on": {"nodes": [sid]},
        }  # fmt: skip
    meta = {"dbt_schema_version": SCHEMA_URL, "adapter_type": "duckdb", "project_name": "shop"}
    return {"metadata": meta, "sources": sources, "nodes": nodes, "exposures": {}}


def prepare(
    tmp_path: Path, doc: Mapping[str, Any], selected: Iterable[str] | None = None
) -> Prepared:
    """Write the manifest to tmp_path/target and select every model (or ``selected``)."""
    target = tmp_path / "target"
    target.mkdir(parents=True, exist_ok=True)
    path = target / "manifest.json"
    path.write_text(json.dumps(doc))
    manifest = load_manifest(path)
    chosen = frozenset(selected if selected is not None else manifest.nodes)
    selectors = {uid: ".".join(manifest.nodes[uid].fqn) for uid in chosen}
    return Prepared(manifest, path, chosen, selectors, None, target, {})


def gate(
    prepared: Prepared,
    client: Any,
    *,
    gate_config: Mapping[str, Any] | None = None,
    flags: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    now: datetime = NOW,
) -> GateResult:
    """One gate check with data source ``warehouse``; writes target/armor_gate.json."""
    settings = Settings(data_sources={"*": DATA_SOURCE}, gate=dict(gate_config or {}))
    return check(
        prepared,
        settings,
        client=client,
        flag_policy=list(flags),
        run_overrides=dict(overrides or {}),
        now=lambda: now,
    )


def manifest_project(
    root: Path,
    emulator: EmulatorServer,
    manifest: str | Mapping[str, Any] = "integration_v12.json",
    config: str = "",
) -> Path:
    """``root`` as a project dbt-armor reads without dbt: target/manifest.json (a fixture under
    tests/fixtures/manifests, or a manifest dict) and a dbt_armor.yml pointing at ``emulator``
    with data source ``warehouse`` for every target, plus ``config`` (more YAML lines). The
    manifest's tables are registered on the emulator under that data source."""
    (root / "target").mkdir(parents=True, exist_ok=True)
    if isinstance(manifest, str):  # the fixture's bytes, unchanged
        shutil.copy(MANIFESTS / manifest, root / "target" / "manifest.json")
        doc = json.loads((MANIFESTS / manifest).read_text())
    else:
        doc = manifest
        (root / "target" / "manifest.json").write_text(json.dumps(doc))
    (root / "dbt_armor.yml").write_text(
        f"api_url: {emulator.api_url}\nallow_http: true\n"
        f'data_sources:\n  "*": {DATA_SOURCE}\n{config}'
    )
    control(emulator, f"manifest?data_source={DATA_SOURCE}", doc)
    return root


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``dbt-armor ARGV`` through the real entry point in-process: (exit code, stdout, stderr)."""
    from dbt_armor.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def register(emulator: EmulatorServer, tables: Iterable[str]) -> None:
    for t in tables:
        emulator.state.add_table(DATA_SOURCE, DATABASE, SCHEMA, t)


def control(emulator: EmulatorServer, path: str, body: Any, method: str = "POST") -> Any:
    resp = httpx.request(method, f"{emulator.url}/_emulator/{path}", json=body, timeout=10)
    resp.raise_for_status()
    return resp.json()


def set_freshness(emulator: EmulatorServer, table: str, status: str, hours: float) -> None:
    body = {"qualified_name": qn(table), "status": status, "hours_since_update": hours}
    control(emulator, "freshness", {**body, "threshold_hours": 24})


def fault(emulator: EmulatorServer, **spec: Any) -> None:
    control(emulator, "faults", spec)


def outcomes(result: GateResult) -> dict[str, str]:
    """unique_id -> per-source outcome."""
    return {d.info.unique_id: d.outcome.value for d in result.decision.sources}
