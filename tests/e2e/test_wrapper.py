"""End to end: the real ``dbt-armor run`` (a subprocess, dbt in-process inside it) on a copy of
integration_project against the emulator reading that copy's DuckDB warehouse.

The tests share one clone and run in file order: fresh -> stale (block) -> stale (skip) ->
failing validity with --refresh -> platform down. Each test resets what it changed.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from project_copy import DbtProject
from shop import MODELS, Shop, explain, open_shop

from dbt_armor.api import ArmorClient
from dbt_armor.api.models.quality import ValidityRuleCreate
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    project = dbt_project.clone(tmp_path_factory.mktemp("wrapper") / "shop")
    with open_shop(project, seed=5, env={"ARMOR_TIMEOUT": "2"}) as shop:
        yield shop


def test_fresh_sources_run_dbt(shop: Shop) -> None:
    shop.ages()
    shop.drop_models()
    manifest = shop.project.path / "target" / "manifest.json"
    manifest.unlink()
    done = shop.armor("run")
    assert done.returncode == 0, explain(done)
    # the process ended without the interpreter's teardown, yet closed what dbt opened: DuckDB
    # checkpointed (no write-ahead log left for the next reader) and dbt's log is complete
    assert isinstance(shop.warehouse, Path)
    assert not Path(f"{shop.warehouse}.wal").exists()
    log = (shop.project.path / "logs" / "dbt.log").read_text().splitlines()
    assert "Command `cli run` succeeded" in " ".join(log[-5:])
    assert shop.built() == set(MODELS)
    # the gate read dbt's parse from memory; the run wrote the file, with compiled SQL
    nodes = json.loads(manifest.read_text())["nodes"]
    assert nodes["model.armor_shop.fct_orders"].get("compiled_code")
    gate = json.loads((shop.project.path / "target" / "armor_gate.json").read_text())
    assert gate["decision"] == "pass" and gate["exit_code"] == 0
    # `run` gates the sources feeding models only (no snapshot-only source is read)
    assert {s["unique_id"].split(".", 2)[2] for s in gate["sources"]} == {
        "crm.customers", "shop.orders", "shop.payments",
    }  # fmt: skip


def test_stale_source_blocks_and_builds_nothing(shop: Shop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    manifest = shop.project.path / "target" / "manifest.json"
    manifest.unlink()
    done = shop.armor("run")
    assert done.returncode == 3, explain(done)
    assert shop.built() == set()
    # dbt did not run: the wrapper wrote the manifest dbt's parse would have written
    assert "model.armor_shop.fct_orders" in json.loads(manifest.read_text())["nodes"]
    text = " ".join(done.stdout.split())
    assert "BLOCK shop.orders (warehouse.warehouse.raw.orders) is 40" in text


def test_skip_mode_builds_only_unaffected_models(shop: Shop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    done = shop.armor("run", "--on-fail", "skip")
    assert done.returncode == 0, explain(done)
    affected = {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}
    assert shop.built() == set(MODELS) - affected
    skipped = (shop.project.path / "target" / "armor_skipped.txt").read_text().split()
    assert {s.rsplit(".", 1)[-1] for s in skipped} == affected
    assert all(s.startswith("armor_shop.") for s in skipped)


def test_failing_validity_blocks_with_refresh(shop: Shop) -> None:
    shop.ages()
    with ArmorClient(api_key=DEFAULT_READWRITE_KEY, base_url=shop.server.api_url) as c:
        spec = ValidityRuleCreate(
            rule_type="not_null",
            table_path="raw.orders",
            column_name="id",
            severity="critical",
            name="orders_id_present",
        )
        rule = c.validity.create("warehouse", spec)
        assert c.validity.check("warehouse", rule.uuid).status == "pass"
        with duckdb.connect(str(shop.project.db_path)) as con:
            con.execute(
                "insert into raw.orders select null, customer_id, order_date, status, loaded_at "
                "from raw.orders limit 1"
            )
        try:
            shop.drop_models()
            done = shop.armor("run", "--refresh")
            assert done.returncode == 3, explain(done)
            assert shop.built() == set()
            assert "orders_id_present" in done.stdout
        finally:
            with duckdb.connect(str(shop.project.db_path)) as con:
                con.execute("delete from raw.orders where id is null")
            c.validity.delete("warehouse", rule.uuid)


@pytest.fixture()
def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


def test_platform_down_fails_closed_or_open(shop: Shop, closed_url: str) -> None:
    shop.ages()
    shop.drop_models()
    done = shop.armor("run", "--deadline", "2", api_url=closed_url)
    assert done.returncode == 4, explain(done)
    assert shop.built() == set()
    done = shop.armor("run", "--deadline", "2", "--on-api-error", "open", api_url=closed_url)
    assert done.returncode == 0, explain(done)
    assert shop.built() == set(MODELS)


def test_api_key_never_appears_in_output_or_artifacts(shop: Shop) -> None:
    assert len(shop.outputs) >= 12  # every earlier run was recorded
    for text in shop.outputs:
        assert DEFAULT_READWRITE_KEY not in text
    for path in (shop.project.path / "target").glob("*.json"):
        assert DEFAULT_READWRITE_KEY not in path.read_text(errors="replace"), path
    assert DEFAULT_READWRITE_KEY not in os.environ.get("DBT_ARMOR_RESULTS", "")
