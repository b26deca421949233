"""The emulator on a PostgreSQL warehouse: freshness probes, every validity rule type and
referential checks run as SQL against a real server, with the same answers as on DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg2
import pytest
from warehouse_cases import (
    RULES,
    api,
    assert_counts,
    assert_orphans,
    build,
    make_rule,
    newest_order_age,
    register,
)
from warehouse_cases import check as _check_on

from dbt_armor.emulator import EmulatorConfig, EmulatorServer


@pytest.fixture(scope="module")
def pg_url(make_database: Callable[[str], str]) -> str:
    url = make_database("wh_probe")
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:

        def execute(statement: str, params: Sequence[Any]) -> None:
            cur.execute(statement.replace("?", "%s"), params or None)

        build(execute)
        cur.execute("CREATE SEQUENCE raw.counter")
    conn.close()
    return url


@pytest.fixture(scope="module")
def emu(pg_url: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(warehouse=pg_url, freshness_cache_seconds=0)) as server:
        register(server, "wh", "wh_probe")
        yield server


def _check(emu: EmulatorServer, rule: dict[str, Any]) -> dict[str, Any]:
    return _check_on(emu, "wh", rule)


def test_freshness_from_newest_value(emu: EmulatorServer) -> None:
    data = api(emu, "GET", "/sdk/freshness/wh.wh_probe.raw.orders")
    age = newest_order_age()
    assert data["status"] == "fresh" and age - 0.1 < data["hours_since_update"] < age + 0.1
    for table in ("empty", "ghost", 'we"ird'):
        assert api(emu, "GET", f"/sdk/freshness/wh.wh_probe.raw.{table}")["status"] == "unknown"


@RULES
def test_validity_rules_run_as_postgres_sql(
    emu: EmulatorServer, rule: dict[str, Any], invalid: int
) -> None:
    assert_counts(_check(emu, rule), rule, invalid)


def test_bad_column_gives_error_and_next_probe_still_works(emu: EmulatorServer) -> None:
    res = _check(emu, make_rule("NOT_NULL", 'x"; DROP TABLE raw.orders; --'))
    assert res["status"] == "error" and res["error_message"]
    assert api(emu, "GET", "/sdk/freshness/wh.wh_probe.raw.orders")["status"] == "fresh"


def test_probes_run_read_only(emu: EmulatorServer) -> None:
    bad = _check(emu, make_rule("CUSTOM_SQL", sql_expression="nextval('raw.counter') > 0"))
    assert bad["status"] == "error" and "read-only" in bad["error_message"]


def test_referential_orphans(emu: EmulatorServer) -> None:
    assert_orphans(emu, "wh")
