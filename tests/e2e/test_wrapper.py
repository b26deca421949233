"""End to end: the real ``dbt-armor run`` (a subprocess, dbt in-process inside it) on a copy of
integration_project against the emulator reading that copy's DuckDB warehouse.

The tests share one clone and run in file order: fresh -> stale (block) -> stale (skip) ->
failing validity with --refresh -> platform down. Each test resets what it changed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import httpx
import pytest
from project_copy import REPO_ROOT, DbtProject

from dbt_armor.api import ArmorClient
from dbt_armor.api.models.quality import ValidityRuleCreate
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY


def _load_raw() -> Any:
    """integration_project/scripts/load_raw.py (not a package on sys.path)."""
    path = REPO_ROOT / "integration_project" / "scripts" / "load_raw.py"
    spec = importlib.util.spec_from_file_location("armor_shop_load_raw", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh_raw_timestamps = _load_raw().refresh_raw_timestamps

pytestmark = pytest.mark.e2e

MODELS = (
    "stg_customers", "stg_orders", "stg_payments", "dim_customers", "fct_orders",
    "fct_daily_revenue", "dim_countries", "dim_dates",
)  # fmt: skip


@dataclass
class Shop:
    project: DbtProject
    server: EmulatorServer
    outputs: list[str] = field(default_factory=list)  # every stdout/stderr, for the leak check

    def run(self, *args: str, api_url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = self.project.env(
            {
                "ARMOR_API_KEY": DEFAULT_READWRITE_KEY,
                "ARMOR_API_URL": api_url or self.server.api_url,
                "ARMOR_TIMEOUT": "2",
            }
        )
        env.pop("GITHUB_ACTIONS", None)
        env.pop("GITHUB_STEP_SUMMARY", None)
        argv = [sys.executable, "-m", "dbt_armor", "run", *args]
        argv += ["--project-dir", str(self.project.path), "--profiles-dir", str(self.project.path)]
        done = subprocess.run(
            argv, cwd=self.project.path, env=env, capture_output=True, text=True, timeout=240
        )
        self.outputs += [done.stdout, done.stderr]
        return done

    def drop_models(self) -> None:
        with duckdb.connect(str(self.project.db_path)) as con:
            for name in MODELS:
                kind = "view" if name.startswith("stg_") else "table"
                con.execute(f"drop {kind} if exists main.{name}")

    def built(self) -> set[str]:
        with duckdb.connect(str(self.project.db_path), read_only=True) as con:
            rows = con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        return {r[0] for r in rows} & set(MODELS)

    def ages(self, **hours: float) -> None:
        ages = {"customers": 1.0, "orders": 1.0, "payments": 1.0, **hours}
        refresh_raw_timestamps(self.project.db_path, ages)


@pytest.fixture(scope="module")
def shop(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    project = dbt_project.clone(tmp_path_factory.mktemp("wrapper") / "shop")
    cfg = EmulatorConfig(port=0, warehouse=project.db_path, seed=5, freshness_cache_seconds=0)
    server = EmulatorServer(cfg).start()
    manifest = json.loads(project.manifest_path.read_text())
    for ds in ("warehouse", "crm"):
        resp = httpx.post(f"{server.url}/_emulator/manifest?data_source={ds}", json=manifest)
        assert resp.status_code < 300, resp.text
    try:
        yield Shop(project, server)
    finally:
        server.stop()


def _explain(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nSTDOUT:\n{done.stdout[-3000:]}\nSTDERR:\n{done.stderr[-3000:]}"


def test_fresh_sources_run_dbt(shop: Shop) -> None:
    shop.ages()
    shop.drop_models()
    done = shop.run()
    assert done.returncode == 0, _explain(done)
    assert shop.built() == set(MODELS)
    gate = json.loads((shop.project.path / "target" / "armor_gate.json").read_text())
    assert gate["decision"] == "pass" and gate["exit_code"] == 0
    # `run` gates the sources feeding models only (no snapshot-only source is read)
    assert {s["unique_id"].split(".", 2)[2] for s in gate["sources"]} == {
        "crm.customers", "shop.orders", "shop.payments",
    }  # fmt: skip


def test_stale_source_blocks_and_builds_nothing(shop: Shop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    done = shop.run()
    assert done.returncode == 3, _explain(done)
    assert shop.built() == set()
    text = " ".join(done.stdout.split())
    assert "BLOCK shop.orders (warehouse.warehouse.raw.orders) is 40" in text


def test_skip_mode_builds_only_unaffected_models(shop: Shop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    done = shop.run("--on-fail", "skip")
    assert done.returncode == 0, _explain(done)
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
            done = shop.run("--refresh")
            assert done.returncode == 3, _explain(done)
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
    done = shop.run("--deadline", "5", api_url=closed_url)
    assert done.returncode == 4, _explain(done)
    assert shop.built() == set()
    done = shop.run("--deadline", "5", "--on-api-error", "open", api_url=closed_url)
    assert done.returncode == 0, _explain(done)
    assert shop.built() == set(MODELS)


def test_api_key_never_appears_in_output_or_artifacts(shop: Shop) -> None:
    assert len(shop.outputs) >= 12  # every earlier run was recorded
    for text in shop.outputs:
        assert DEFAULT_READWRITE_KEY not in text
    for path in (shop.project.path / "target").glob("*.json"):
        assert DEFAULT_READWRITE_KEY not in path.read_text(errors="replace"), path
    assert DEFAULT_READWRITE_KEY not in os.environ.get("DBT_ARMOR_RESULTS", "")
