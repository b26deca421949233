"""The whole story on PostgreSQL: integration_project's `postgres` target in a fresh database of
the session's private cluster, the emulator probing that database. One shared build; the tests
run in file order: map -> sync -> fresh run -> stale blocks -> skip -> bad row -> lineage."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from project_copy import copy_project
from shop import AFFECTED_BY_ORDERS, MODELS, Shop, explain, open_shop, refresh_raw_timestamps

from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e

DATABASE = "shop_e2e"  # not the profile's default name: the map must take the connection's


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
) -> Iterator[Shop]:
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
    manifest = json.loads(project.manifest_path.read_text())
    assert manifest["metadata"]["adapter_type"] == "postgres"
    with open_shop(project, seed=11, warehouse=url, env=pg_env, target="postgres") as shop:
        yield shop


def test_map_uses_postgres_naming(shop: Shop) -> None:
    """Database = the connection's database; unquoted RAW.ORDERS folded to lower case."""
    done = shop.armor("map", "--format", "json")
    assert done.returncode == 0, explain(done)
    names = {row["unique_id"]: row["qualified_name"] for row in json.loads(done.stdout)["names"]}
    assert names["source.armor_shop.shop.orders"] == "warehouse.shop_e2e.raw.orders"
    assert names["source.armor_shop.crm.customers"] == "crm.shop_e2e.raw.customers"
    assert names["model.armor_shop.fct_orders"] == "warehouse.shop_e2e.main.fct_orders"
    assert {n.split(".")[1] for n in names.values()} == {DATABASE}


def test_sync_converges_and_the_rules_run_on_postgres(shop: Shop) -> None:
    done = shop.armor("sync", "apply", "--prune")
    assert done.returncode == 0, explain(done)
    again = shop.armor("sync", "plan", "--fail-on-changes")
    assert again.returncode == 0, explain(again)
    counts = httpx.post(f"{shop.server.url}/_emulator/run-checks", timeout=120).json()["data"]
    assert sum(counts["validity"].values()) >= 5, counts
    assert counts["validity"]["error"] == 0 and counts["referential"]["error"] == 0, counts
    assert counts["validity"]["fail"] == 0 and counts["referential"]["fail"] == 0, counts


def test_fresh_run_builds_everything_and_persists_results(shop: Shop) -> None:
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


def test_stale_source_blocks_and_builds_nothing(shop: Shop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    done = shop.armor("run")
    assert done.returncode == 3, explain(done)
    assert shop.built() == set()
    assert "BLOCK shop.orders (warehouse.shop_e2e.raw.orders) is 40" in " ".join(
        done.stdout.split()
    )


def test_blocked_results_stop_a_plain_dbt_run(shop: Shop, tmp_path: Path) -> None:
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
    done = shop.project.dbt("run", "--target", "postgres", env={**shop.env, **results},
                            check=False)  # fmt: skip
    assert done.returncode != 0, done.stdout
    assert "read blocked upstream data" in done.stdout
    assert shop.built() == set()


def test_skip_mode_builds_exactly_the_unaffected_models(shop: Shop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    done = shop.armor("run", "--on-fail", "skip")
    assert done.returncode == 0, explain(done)
    assert shop.built() == set(MODELS) - AFFECTED_BY_ORDERS
    skipped = (shop.project.path / "target" / "armor_skipped.txt").read_text().split()
    assert {s.rsplit(".", 1)[-1] for s in skipped} == AFFECTED_BY_ORDERS


def test_a_duplicate_row_fails_the_synced_rule_and_blocks(shop: Shop) -> None:
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


def test_lineage_publishes_once(shop: Shop) -> None:
    first = shop.armor("lineage", "publish")
    assert first.returncode == 0, explain(first)
    second = shop.armor("lineage", "publish")
    assert second.returncode == 0, explain(second)
    assert "unchanged" in (second.stdout + second.stderr).lower()


def test_api_key_never_appears_in_output(shop: Shop) -> None:
    assert len(shop.outputs) >= 16
    assert all(DEFAULT_READWRITE_KEY not in text for text in shop.outputs)
    for path in Path(shop.project.path / "target").glob("*.json"):
        assert DEFAULT_READWRITE_KEY not in path.read_text(errors="replace"), path
