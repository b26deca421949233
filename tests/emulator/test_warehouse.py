"""Warehouse-backed freshness, validity and referential results against a DuckDB file built
in the test, including a file locked by a writer and hostile identifiers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warehouse_cases import (
    RULES,
    api,
    assert_counts,
    assert_orphans,
    build,
    newest_order_age,
    register,
)
from warehouse_cases import check as _check_on

from dbt_armor.emulator import EmulatorConfig, EmulatorServer


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        build(lambda sql, params: con.execute(sql, list(params)))
    return path


@pytest.fixture(scope="module")
def wh_emulator(warehouse: Path) -> Iterator[EmulatorServer]:
    cfg = EmulatorConfig(warehouse=warehouse, freshness_cache_seconds=0)
    with EmulatorServer(cfg) as server:
        yield server


@pytest.fixture()
def emu(wh_emulator: EmulatorServer) -> EmulatorServer:
    wh_emulator.app.reset()
    register(wh_emulator, "wh", "wh")
    return wh_emulator


def _check(emu: EmulatorServer, rule: dict[str, Any], sample_limit: int = 10) -> dict[str, Any]:
    return _check_on(emu, "wh", rule, sample_limit)


def test_freshness_from_newest_value(emu: EmulatorServer) -> None:
    data = api(emu, "GET", "/sdk/freshness/wh.wh.raw.orders")
    age = newest_order_age()
    assert data["status"] == "fresh" and age - 0.1 < data["hours_since_update"] < age + 0.1
    emu.state.tables[emu.state.resolve("wh.wh.raw.orders")[1]["id"]]["threshold_hours"] = 2  # type: ignore[index]
    job = api(emu, "POST", "/sdk/freshness/wh.wh.raw.orders/refresh?wait=true")
    assert job["result"]["status"] == "stale" and job["result"]["is_fresh"] is False


def test_freshness_unknown_for_empty_missing_and_odd_names(emu: EmulatorServer) -> None:
    assert api(emu, "GET", "/sdk/freshness/wh.wh.raw.empty")["status"] == "unknown"
    assert api(emu, "GET", "/sdk/freshness/wh.wh.raw.ghost")["status"] == "unknown"
    assert api(emu, "GET", '/sdk/freshness/wh.wh.raw.we"ird')["status"] == "unknown"


@RULES
def test_validity_rules_run_as_sql(emu: EmulatorServer, rule: dict[str, Any], invalid: int) -> None:
    assert_counts(_check(emu, rule), rule, invalid)


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
    body = assert_orphans(emu, "wh")
    lenient = api(emu, "POST", "/sdk/referential/wh", json={**body, "max_orphan_count": 1})
    assert api(emu, "POST", f"/sdk/referential/wh/{lenient['id']}/execute")["status"] == "pass"


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
