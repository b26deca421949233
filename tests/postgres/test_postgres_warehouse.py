"""The emulator on a PostgreSQL warehouse: freshness probes, every validity rule type and
referential checks run as SQL against a real server, with the same answers as on DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import psycopg2
import pytest

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

NOW = datetime.now(timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="module")
def pg_url(make_database: Callable[[str], str]) -> str:
    url = make_database("wh_probe")
    rows = [
        (1, 10, "placed", 5.0, "AB", "2024-01-01", "2024-01-01 10:00", NOW - timedelta(hours=30)),
        (2, 10, "shipped", 50.0, "ABC", "2024-02-30", "2024-01-01T25:00", NOW - timedelta(hours=3)),
        (3, 99, "weird", -1.0, "A1", "nope", "2024-02-29 23:59:59", NOW - timedelta(hours=5)),
        (3, None, None, None, None, None, None, NOW - timedelta(hours=6)),
    ]
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA raw")
        cur.execute(
            "CREATE TABLE raw.orders (id INT, customer_id INT, status TEXT, amount DOUBLE"
            " PRECISION, code TEXT, day TEXT, at TEXT, loaded_at TIMESTAMP)"
        )
        cur.executemany("INSERT INTO raw.orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
        cur.execute("CREATE TABLE raw.customers (id INT)")
        cur.execute("INSERT INTO raw.customers VALUES (10), (11)")
        cur.execute('CREATE TABLE raw."we""ird" (x INT, ts TIMESTAMP)')
        cur.execute("CREATE TABLE raw.empty (ts TIMESTAMPTZ)")
        cur.execute("CREATE SEQUENCE raw.counter")
    conn.close()
    return url


@pytest.fixture(scope="module")
def emu(pg_url: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(warehouse=pg_url, freshness_cache_seconds=0)) as server:
        st = server.state
        st.add_table("wh", "wh_probe", "raw", "orders", freshness_column="loaded_at")
        st.add_table("wh", "wh_probe", "raw", "customers")
        st.add_table("wh", "wh_probe", "raw", 'we"ird', freshness_column="ts")
        st.add_table("wh", "wh_probe", "raw", "empty", freshness_column="ts")
        st.add_table("wh", "wh_probe", "raw", "ghost", freshness_column="ts")
        yield server


def api(emu: EmulatorServer, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {DEFAULT_READWRITE_KEY}"}
    r = httpx.request(method, emu.api_url + path, headers=headers, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r.json()["data"]


def test_freshness_from_newest_value(emu: EmulatorServer) -> None:
    data = api(emu, "GET", "/sdk/freshness/wh.wh_probe.raw.orders")
    # rows were stamped relative to NOW, taken at import: a slow suite adds the time since
    age = 3 + (datetime.now(timezone.utc).replace(tzinfo=None) - NOW).total_seconds() / 3600
    assert data["status"] == "fresh" and age - 0.1 < data["hours_since_update"] < age + 0.1
    for table in ("empty", "ghost", 'we"ird'):
        assert api(emu, "GET", f"/sdk/freshness/wh.wh_probe.raw.{table}")["status"] == "unknown"


def _check(emu: EmulatorServer, rule: dict[str, Any]) -> dict[str, Any]:
    body = {"table_path": "raw.orders", "treat_null_as_valid": True, **rule}
    created = api(emu, "POST", "/sdk/validity/wh", json=body)
    result: dict[str, Any] = api(emu, "POST", f"/sdk/validity/wh/{created['uuid']}/check", json={})
    return result


def _rule(kind: str, column: str | None = None, **config: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"rule_type": kind, "rule_config": config}
    if column:
        rule["column_name"] = column
    return rule


@pytest.mark.parametrize(
    ("rule", "invalid"),
    [
        (_rule("NOT_NULL", "status"), 1),
        (_rule("unique", "id"), 2),
        (_rule("ENUM", "status", allowed_values=["placed", "shipped"]), 1),
        (_rule("ENUM", "status", values=["it's", "placed", "shipped", "weird"]), 0),
        (_rule("range_bounds", "amount", min=0, max=10), 2),
        (_rule("REGEX", "code", pattern="[A-Z]+"), 1),
        (_rule("REGEX", "code", pattern="A|AB"), 2),  # alternation is anchored as a whole
        (_rule("length_bounds", "code", max_length=2), 1),
        (_rule("DATE_FORMAT", "day", format_type="iso_date"), 2),  # 2024-02-30 and "nope"
        (_rule("DATE_FORMAT", "at", format_type="iso_datetime"), 1),  # hour 25
        (_rule("DATE_FORMAT", "day", format="YYYY-MM-DD"), 2),
        (_rule("CUSTOM_SQL", sql_expression="amount >= 0"), 2),
        (_rule("CUSTOM_SQL", sql_expression="status LIKE '%e%' OR status IS NULL"), 0),
        (_rule("NOT_NULL", "status", where="id < 3"), 0),
    ],
)
def test_validity_rules_run_as_postgres_sql(
    emu: EmulatorServer, rule: dict[str, Any], invalid: int
) -> None:
    res = _check(emu, rule)
    assert res["error_message"] is None, res
    assert res["invalid_count"] == invalid, res
    assert res["status"] == ("fail" if invalid else "pass")
    assert res["total_rows"] == (2 if "where" in rule["rule_config"] else 4)


def test_bad_column_gives_error_and_next_probe_still_works(emu: EmulatorServer) -> None:
    res = _check(emu, _rule("NOT_NULL", 'x"; DROP TABLE raw.orders; --'))
    assert res["status"] == "error" and res["error_message"]
    assert api(emu, "GET", "/sdk/freshness/wh.wh_probe.raw.orders")["status"] == "fresh"


def test_probes_run_read_only(emu: EmulatorServer) -> None:
    bad = _check(emu, _rule("CUSTOM_SQL", sql_expression="nextval('raw.counter') > 0"))
    assert bad["status"] == "error" and "read-only" in bad["error_message"]


def test_referential_orphans(emu: EmulatorServer) -> None:
    body = {
        "child_table_path": "raw.orders",
        "child_column_name": "customer_id",
        "parent_table_path": "raw.customers",
        "parent_column_name": "id",
    }
    chk = api(emu, "POST", "/sdk/referential/wh", json=body)
    res = api(emu, "POST", f"/sdk/referential/wh/{chk['id']}/execute")
    assert (res["status"], res["orphan_count"], res["total_child_rows"]) == ("fail", 1, 4)
    assert res["orphan_sample"] == [99] and res["orphan_percent"] == 25.0
    broken = api(emu, "POST", "/sdk/referential/wh", json={**body, "parent_table_path": "raw.nope"})
    assert api(emu, "POST", f"/sdk/referential/wh/{broken['id']}/execute")["status"] == "error"
