"""``--refresh`` against the emulator on a real DuckDB warehouse: without it the gate reads the
platform's last results (a bad row inserted since the last check still passes); with it the
platform re-checks freshness, validity rules and referential checks first, so the gate blocks.
A read-only key gets one warning and the last results.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from gate_project import DATA_SOURCE, manifest_doc, prepare, source_id

from dbt_armor.api import ArmorClient
from dbt_armor.api.models.quality import ReferentialCheckCreate, ValidityRuleCreate
from dbt_armor.config import Settings
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READONLY_KEY
from dbt_armor.gate.engine import GateResult
from dbt_armor.gate.pipeline import Prepared, check
from dbt_armor.gate.refresh import READ_ONLY


@dataclass
class World:
    server: EmulatorServer
    db: Path
    prepared: Prepared


@pytest.fixture()
def world(tmp_path: Path, api_key: str) -> Iterator[World]:
    import duckdb

    db = tmp_path / "demo.duckdb"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.orders (id integer, _loaded_at timestamp)")
        con.execute("insert into raw.orders values (1, ?), (2, ?)", [now, now])
        con.execute("create table raw.payments (order_id integer, _loaded_at timestamp)")
        con.execute("insert into raw.payments values (1, ?)", [now])
    cfg = EmulatorConfig(port=0, warehouse=db, seed=3, freshness_cache_seconds=0)
    server = EmulatorServer(cfg).start()
    try:
        for t in ("orders", "payments"):
            server.state.add_table(DATA_SOURCE, "demo", "raw", t, freshness_column="_loaded_at")
        with ArmorClient(api_key=api_key, base_url=server.api_url) as c:
            rule = c.validity.create(
                DATA_SOURCE,
                ValidityRuleCreate(
                    rule_type="not_null",
                    table_path="raw.orders",
                    column_name="id",
                    severity="critical",
                    name="orders_id_not_null",
                ),
            )
            assert c.validity.check(DATA_SOURCE, rule.uuid).status == "pass"
            ref = c.referential.create(
                DATA_SOURCE,
                ReferentialCheckCreate(
                    child_table_path="raw.payments",
                    child_column_name="order_id",
                    parent_table_path="raw.orders",
                    parent_column_name="id",
                    name="payments_to_orders",
                ),
            )
            assert c.referential.execute(DATA_SOURCE, ref.id).status == "pass"
        prepared = prepare(tmp_path / "p", manifest_doc(["orders", "payments"]))
        yield World(server, db, prepared)
    finally:
        server.stop()


def _gate(world: World, key: str, *, refresh: bool) -> GateResult:
    with ArmorClient(api_key=key, base_url=world.server.api_url) as c:
        return check(
            world.prepared,
            Settings(data_sources={"*": DATA_SOURCE}),
            client=c,
            refresh=refresh,
            run_overrides={"deadline": 20},
        )


def _break_data(db: Path) -> None:
    import duckdb

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with duckdb.connect(str(db)) as con:
        con.execute("insert into raw.orders values (null, ?)", [now])
        con.execute("insert into raw.payments values (99, ?)", [now])


def test_refresh_rechecks_rules_and_checks(world: World, api_key: str) -> None:
    assert _gate(world, api_key, refresh=False).label == "pass"
    _break_data(world.db)

    stale = _gate(world, api_key, refresh=False)
    assert (stale.label, stale.exit_code) == ("pass", 0)  # the platform's last results

    result = _gate(world, api_key, refresh=True)
    assert (result.label, result.exit_code) == ("block", 3)
    by_source = {d.info.unique_id: d for d in result.decision.sources}
    orders = by_source[source_id("orders")]
    assert [r.key for r in orders.reasons] == ["validity_critical"]
    (failure,) = orders.fact.failures
    assert (failure.name, failure.column, failure.invalid_count) == ("orders_id_not_null", "id", 1)
    payments = by_source[source_id("payments")]
    assert [r.key for r in payments.reasons] == ["referential"]
    assert result.note is None

    posts = [e for e in world.server.app.request_log() if e.get("method") == "POST"]
    paths = " ".join(str(e.get("path")) for e in posts)
    assert paths.count("/refresh") == 2 and "/check" in paths and "/execute" in paths
    # the re-check results persist: a later gate without --refresh sees them too
    assert _gate(world, api_key, refresh=False).label == "block"


def test_refresh_rechecks_freshness(world: World, api_key: str) -> None:
    import duckdb

    old = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=40)
    with duckdb.connect(str(world.db)) as con:
        con.execute("update raw.orders set _loaded_at = ?", [old])
    result = _gate(world, api_key, refresh=True)
    orders = {d.info.unique_id: d for d in result.decision.sources}[source_id("orders")]
    assert orders.fact.status == "stale"
    assert 39.9 < (orders.fact.hours_since_update or 0) < 40.5


def test_refresh_with_a_read_only_key_warns_and_uses_last_results(world: World) -> None:
    _break_data(world.db)
    result = _gate(world, DEFAULT_READONLY_KEY, refresh=True)
    assert (result.label, result.exit_code) == ("pass", 0)
    assert result.note == READ_ONLY
