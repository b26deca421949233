"""The whole story on PostgreSQL: integration_project's `postgres` target in a fresh database of
the session's private cluster, the emulator probing that database. One shared build; the tests
run in file order: map -> sync -> fresh run -> stale blocks -> skip -> bad row -> lineage."""

from __future__ import annotations

import importlib.util
import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
from project_copy import REPO_ROOT, DbtProject, copy_project

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e

DATABASE = "shop_e2e"  # not the profile's default name: the map must take the connection's
MODELS = (
    "stg_customers", "stg_orders", "stg_payments", "dim_customers", "fct_orders",
    "fct_daily_revenue", "dim_countries", "dim_dates",
)  # fmt: skip
AFFECTED_BY_ORDERS = {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}


def _load_raw() -> Any:
    path = REPO_ROOT / "integration_project" / "scripts" / "load_raw.py"
    spec = importlib.util.spec_from_file_location("armor_shop_load_raw_pg", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh_raw_timestamps = _load_raw().refresh_raw_timestamps


@dataclass
class PgShop:
    project: DbtProject
    url: str
    pg_env: dict[str, str]
    server: EmulatorServer
    outputs: list[str] = field(default_factory=list)

    def armor(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`dbt-armor ARGS --project-dir P [--profiles-dir P] --target postgres`."""
        env = self.project.env(
            {**self.pg_env, "ARMOR_API_KEY": DEFAULT_READWRITE_KEY, "ARMOR_API_URL": self.api}
        )
        env.pop("GITHUB_ACTIONS", None)
        env.pop("GITHUB_STEP_SUMMARY", None)
        argv = [sys.executable, "-m", "dbt_armor", *args, "--project-dir", str(self.project.path)]
        if args[0] in ("run", "build", "gate"):
            argv += ["--profiles-dir", str(self.project.path)]
        argv += ["--target", "postgres"]
        done = subprocess.run(
            argv, cwd=self.project.path, env=env, capture_output=True, text=True, timeout=240
        )
        self.outputs += [done.stdout, done.stderr]
        return done

    @property
    def api(self) -> str:
        return self.server.api_url

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        conn = psycopg2.connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def built(self) -> set[str]:
        rows = self.sql(
            "select table_name from information_schema.tables where table_schema = 'main'"
        )
        return {r[0] for r in rows} & set(MODELS)

    def drop_models(self) -> None:
        for name in MODELS:
            kind = "view" if name.startswith("stg_") else "table"
            self.sql(f"drop {kind} if exists main.{name} cascade")

    def ages(self, **hours: float) -> None:
        refresh_raw_timestamps(
            self.url, {"customers": 1.0, "orders": 1.0, "payments": 1.0, **hours}
        )


def explain(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nSTDOUT:\n{done.stdout[-3000:]}\nSTDERR:\n{done.stderr[-3000:]}"


def spell_shop_source_in_upper_case(path: Path) -> None:
    """Write the shop source as `RAW.ORDERS`, unquoted (PostgreSQL folds it to raw.orders), and
    let dbt-armor fold names the adapter's way (naming.case: auto)."""
    sources = path / "models" / "staging" / "_sources.yml"
    text = sources.read_text()
    shop = "  - name: shop\n    schema: raw\n"
    orders = "      - name: orders\n"
    assert shop in text and orders in text
    text = text.replace(shop, "  - name: shop\n    schema: RAW\n    quoting: {schema: false}\n")
    text = text.replace(
        orders, orders + "        identifier: ORDERS\n        quoting: {identifier: false}\n"
    )
    sources.write_text(text)
    armor = path / "dbt_armor.yml"
    assert "case: preserve" in armor.read_text()
    armor.write_text(armor.read_text().replace("case: preserve", "case: auto"))


@pytest.fixture(scope="module")
def shop(
    pg_server: Any, make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PgShop]:
    url = make_database(DATABASE)
    pg_env = {**pg_server.env(), "ARMOR_PG_DATABASE": DATABASE}
    project = copy_project(tmp_path_factory.mktemp("pg_shop") / "armor_shop")
    spell_shop_source_in_upper_case(project.path)
    for args in (
        ("deps",),
        ("seed",),
        ("build", "--exclude", "resource_type:test", "resource_type:unit_test"),
    ):
        project.dbt(*args, "--target", "postgres", env=pg_env)
    refresh_raw_timestamps(url, {"customers": 1.0, "orders": 1.0, "payments": 1.0})
    server = EmulatorServer(
        EmulatorConfig(port=0, warehouse=url, seed=11, freshness_cache_seconds=0)
    ).start()
    manifest = json.loads(project.manifest_path.read_text())
    assert manifest["metadata"]["adapter_type"] == "postgres"
    for ds in ("warehouse", "crm"):
        resp = httpx.post(f"{server.url}/_emulator/manifest?data_source={ds}", json=manifest)
        assert resp.status_code < 300, resp.text
    try:
        yield PgShop(project, url, pg_env, server)
    finally:
        server.stop()


def test_map_uses_postgres_naming(shop: PgShop) -> None:
    """Database = the connection's database; unquoted RAW.ORDERS folded to lower case."""
    done = shop.armor("map", "--format", "json")
    assert done.returncode == 0, explain(done)
    names = {row["unique_id"]: row["qualified_name"] for row in json.loads(done.stdout)["names"]}
    assert names["source.armor_shop.shop.orders"] == "warehouse.shop_e2e.raw.orders"
    assert names["source.armor_shop.crm.customers"] == "crm.shop_e2e.raw.customers"
    assert names["model.armor_shop.fct_orders"] == "warehouse.shop_e2e.main.fct_orders"
    assert {n.split(".")[1] for n in names.values()} == {DATABASE}


def test_sync_converges_and_the_rules_run_on_postgres(shop: PgShop) -> None:
    done = shop.armor("sync", "apply", "--prune")
    assert done.returncode == 0, explain(done)
    again = shop.armor("sync", "plan", "--fail-on-changes")
    assert again.returncode == 0, explain(again)
    counts = httpx.post(f"{shop.server.url}/_emulator/run-checks", timeout=120).json()["data"]
    assert sum(counts["validity"].values()) >= 5, counts
    assert counts["validity"]["error"] == 0 and counts["referential"]["error"] == 0, counts
    assert counts["validity"]["fail"] == 0 and counts["referential"]["fail"] == 0, counts


def test_fresh_run_builds_everything_and_persists_results(shop: PgShop) -> None:
    shop.ages()
    shop.drop_models()
    done = shop.armor("run")
    assert done.returncode == 0, explain(done)
    assert shop.built() == set(MODELS)
    results = json.loads((shop.project.path / "target" / "run_results.json").read_text())
    invocation = results["metadata"]["invocation_id"]
    rows = shop.sql(
        "select source_unique_id, decision, status from main.armor_gate_results"
        f" where invocation_id = '{invocation}' order by 1"
    )
    assert [r[0] for r in rows] == [
        "source.armor_shop.crm.customers",
        "source.armor_shop.shop.orders",
        "source.armor_shop.shop.payments",
    ]
    assert {(r[1], r[2]) for r in rows} == {("pass", "fresh")}


def test_stale_source_blocks_and_builds_nothing(shop: PgShop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    done = shop.armor("run")
    assert done.returncode == 3, explain(done)
    assert shop.built() == set()
    assert "BLOCK shop.orders (warehouse.shop_e2e.raw.orders) is 40" in " ".join(
        done.stdout.split()
    )


def test_blocked_results_stop_a_plain_dbt_run(shop: PgShop, tmp_path: Path) -> None:
    """`gate --emit-env`, then plain `dbt run`: on-run-start refuses on PostgreSQL too."""
    shop.ages(orders=40)
    shop.drop_models()
    env_file = tmp_path / "armor.env"
    gated = shop.armor("gate", "--emit-env", str(env_file))
    assert gated.returncode == 3, explain(gated)
    results: dict[str, str] = {}
    for line in env_file.read_text().splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            name, _, value = words[1].partition("=")
            results[name] = value
    assert "DBT_ARMOR_RESULTS" in results
    done = shop.project.dbt("run", "--target", "postgres", env={**shop.pg_env, **results},
                            check=False)  # fmt: skip
    assert done.returncode != 0, done.stdout
    assert "read blocked upstream data" in done.stdout
    assert shop.built() == set()


def test_skip_mode_builds_exactly_the_unaffected_models(shop: PgShop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    done = shop.armor("run", "--on-fail", "skip")
    assert done.returncode == 0, explain(done)
    assert shop.built() == set(MODELS) - AFFECTED_BY_ORDERS
    skipped = (shop.project.path / "target" / "armor_skipped.txt").read_text().split()
    assert {s.rsplit(".", 1)[-1] for s in skipped} == AFFECTED_BY_ORDERS


def test_a_duplicate_row_fails_the_synced_rule_and_blocks(shop: PgShop) -> None:
    shop.ages()
    rebuilt = shop.armor("run")  # every table the synced rules read exists again
    assert rebuilt.returncode == 0, explain(rebuilt)
    shop.sql("insert into raw.payments select * from raw.payments where id = 1")
    try:
        counts = httpx.post(f"{shop.server.url}/_emulator/run-checks", timeout=120).json()["data"]
        assert counts["validity"]["fail"] >= 1 and counts["validity"]["error"] == 0, counts
        shop.drop_models()
        done = shop.armor("run")
        assert done.returncode == 3, explain(done)
        assert shop.built() == set()
    finally:
        shop.sql("delete from raw.payments where ctid in (select max(ctid) from raw.payments"
                 " where id = 1 having count(*) > 1)")  # fmt: skip
        httpx.post(f"{shop.server.url}/_emulator/run-checks", timeout=120)


def test_lineage_publishes_once(shop: PgShop) -> None:
    first = shop.armor("lineage", "publish")
    assert first.returncode == 0, explain(first)
    second = shop.armor("lineage", "publish")
    assert second.returncode == 0, explain(second)
    assert "unchanged" in (second.stdout + second.stderr).lower()


def test_api_key_never_appears_in_output(shop: PgShop) -> None:
    assert len(shop.outputs) >= 16
    assert all(DEFAULT_READWRITE_KEY not in text for text in shop.outputs)
    for path in Path(shop.project.path / "target").glob("*.json"):
        assert DEFAULT_READWRITE_KEY not in path.read_text(errors="replace"), path
