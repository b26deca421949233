"""Warehouse-backed freshness, validity and referential results against a DuckDB file built
in the test, including a file locked by a writer and hostile identifiers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

NOW = datetime.now(timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.orders (id INT, customer_id INT, status VARCHAR, amount DOUBLE,"
        " code VARCHAR, day VARCHAR, loaded_at TIMESTAMP)"
    )
    rows = [
        (1, 10, "placed", 5.0, "AB", "2024-01-01", NOW - timedelta(hours=30)),
        (2, 10, "shipped", 50.0, "ABC", "2024-02-30", NOW - timedelta(hours=3)),
        (3, 99, "weird", -1.0, "A1", "nope", NOW - timedelta(hours=5)),
        (3, None, None, None, None, None, NOW - timedelta(hours=6)),
    ]
    con.executemany("INSERT INTO raw.orders VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("CREATE TABLE raw.customers (id INT)")
    con.execute("INSERT INTO raw.customers VALUES (10), (11)")
    con.execute('CREATE TABLE raw."we""ird" (x INT, ts TIMESTAMP)')
    con.execute("CREATE TABLE raw.empty (ts TIMESTAMP)")
    con.close()
    return path


@pytest.fixture(scope="module")
def wh_emulator(warehouse: Path) -> Iterator[EmulatorServer]:
    cfg = EmulatorConfig(warehouse=warehouse, freshness_cache_seconds=0)
    with EmulatorServer(cfg) as server:
        yield server


@pytest.fixture()
def emu(wh_emulator: EmulatorServer) -> EmulatorServer:
    wh_emulator.app.reset()
    st = wh_emulator.state
    st.add_table("wh", "wh", "raw", "orders", freshness_column="loaded_at", threshold_hours=24)
    st.add_table("wh", "wh", "raw", "customers")
    st.add_table("wh", "wh", "raw", 'we"ird', freshness_column="ts")
    st.add_table("wh", "wh", "raw", "empty", freshness_column="ts")
    st.add_table("wh", "wh", "raw", "ghost", freshness_column="ts")
    return wh_emulator


def api(emu: EmulatorServer, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {DEFAULT_READWRITE_KEY}"}
    r = httpx.request(method, emu.api_url + path, headers=headers, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r.json()["data"]


def test_freshness_from_newest_value(emu: EmulatorServer) -> None:
    data = api(emu, "GET", "/sdk/freshness/wh.wh.raw.orders")
    # rows were stamped relative to NOW, taken at import: a slow suite adds the time since
    age = 3 + (datetime.now(timezone.utc).replace(tzinfo=None) - NOW).total_seconds() / 3600
    assert data["status"] == "fresh" and age - 0.1 < data["hours_since_update"] < age + 0.1
    emu.state.tables[emu.state.resolve("wh.wh.raw.orders")[1]["id"]]["threshold_hours"] = 2  # type: ignore[index]
    job = api(emu, "POST", "/sdk/freshness/wh.wh.raw.orders/refresh?wait=true")
    assert job["result"]["status"] == "stale" and job["result"]["is_fresh"] is False


def test_freshness_unknown_for_empty_missing_and_odd_names(emu: EmulatorServer) -> None:
    assert api(emu, "GET", "/sdk/freshness/wh.wh.raw.empty")["status"] == "unknown"
    assert api(emu, "GET", "/sdk/freshness/wh.wh.raw.ghost")["status"] == "unknown"
    assert api(emu, "GET", '/sdk/freshness/wh.wh.raw.we"ird')["status"] == "unknown"


def _check(emu: EmulatorServer, rule: dict[str, Any], sample_limit: int = 10) -> dict[str, Any]:
    body = {"table_path": "raw.orders", "treat_null_as_valid": True, **rule}
    created = api(emu, "POST", "/sdk/validity/wh", json=body)
    result: dict[str, Any] = api(
        emu,
        "POST",
        f"/sdk/validity/wh/{created['uuid']}/check",
        json={"sample_limit": sample_limit},
    )
    return result


@pytest.mark.parametrize(
    ("rule", "invalid"),
    [
        ({"rule_type": "NOT_NULL", "column_name": "status"}, 1),
        ({"rule_type": "unique", "column_name": "id"}, 2),
        (
            {
                "rule_type": "ENUM",
                "column_name": "status",
                "rule_config": {"allowed_values": ["placed", "shipped"]},
            },
            1,
        ),
        (
            {
                "rule_type": "range_bounds",
                "column_name": "amount",
                "rule_config": {"min": 0, "max": 10},
            },
            2,
        ),
        ({"rule_type": "REGEX", "column_name": "code", "rule_config": {"pattern": "[A-Z]+"}}, 1),
        (
            {"rule_type": "length_bounds", "column_name": "code", "rule_config": {"max_length": 2}},
            1,
        ),
        (
            {
                "rule_type": "DATE_FORMAT",
                "column_name": "day",
                "rule_config": {"format_type": "iso_date"},
            },
            2,
        ),
        ({"rule_type": "CUSTOM_SQL", "rule_config": {"sql_expression": "amount >= 0"}}, 2),
        ({"rule_type": "NOT_NULL", "column_name": "status", "rule_config": {"where": "id < 3"}}, 0),
    ],
)
def test_validity_rules_run_as_sql(emu: EmulatorServer, rule: dict[str, Any], invalid: int) -> None:
    res = _check(emu, rule)
    assert res["invalid_count"] == invalid, res
    assert res["status"] == ("fail" if invalid else "pass")
    assert res["total_rows"] == (2 if "where" in rule.get("rule_config", {}) else 4)
    assert res["invalid_percent"] == pytest.approx(100.0 * invalid / res["total_rows"], abs=1e-3)


def test_null_handling_samples_and_threshold(emu: EmulatorServer) -> None:
    strict = _check(
        emu,
        {
            "rule_type": "ENUM",
            "column_name": "status",
            "treat_null_as_valid": False,
            "rule_config": {"values": ["placed", "shipped"]},
        },
    )
    assert strict["invalid_count"] == 2
    assert sorted(v for v in strict["invalid_samples"]["values"] if v) == ["weird"]
    sampled = _check(emu, {"rule_type": "NOT_NULL", "column_name": "code"}, sample_limit=0)
    assert sampled["invalid_samples"]["values"] == []
    tolerant = _check(
        emu, {"rule_type": "NOT_NULL", "column_name": "status", "alert_threshold_percent": 30}
    )
    assert tolerant["status"] == "pass" and tolerant["invalid_count"] == 1


def test_bad_column_gives_error_result(emu: EmulatorServer) -> None:
    res = _check(emu, {"rule_type": "NOT_NULL", "column_name": 'x"; DROP TABLE raw.orders; --'})
    assert res["status"] == "error" and res["error_message"]
    assert api(emu, "GET", "/sdk/freshness/wh.wh.raw.orders")["status"] in ("fresh", "stale")


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
    lenient = api(emu, "POST", "/sdk/referential/wh", json={**body, "max_orphan_count": 1})
    assert api(emu, "POST", f"/sdk/referential/wh/{lenient['id']}/execute")["status"] == "pass"
    broken = api(emu, "POST", "/sdk/referential/wh", json={**body, "parent_table_path": "raw.nope"})
    assert api(emu, "POST", f"/sdk/referential/wh/{broken['id']}/execute")["status"] == "error"


def test_locked_warehouse_still_answers_from_a_snapshot(
    emu: EmulatorServer, warehouse: Path
) -> None:
    """A writer (a dbt run) holding the file lock no longer turns checks into errors: the
    emulator reads its own copy, and sees what the writer has committed."""
    writer = duckdb.connect(str(warehouse))
    try:
        writer.execute("CREATE TABLE raw.added_by_writer (x INT)")
        writer.execute("INSERT INTO raw.added_by_writer VALUES (1), (NULL)")
        res = _check(emu, {"rule_type": "NOT_NULL", "column_name": "status"})
        added = _check(
            emu, {"table_path": "raw.added_by_writer", "rule_type": "NOT_NULL", "column_name": "x"}
        )
        fresh = api(emu, "GET", "/sdk/freshness/wh.wh.raw.orders")
        writer.execute("DROP TABLE raw.added_by_writer")
    finally:
        writer.close()
    assert (res["status"], res["invalid_count"]) == ("fail", 1)
    assert (added["total_rows"], added["invalid_count"]) == (2, 1)
    assert fresh["status"] == "fresh"
