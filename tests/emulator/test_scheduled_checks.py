"""Scheduled checks against a DuckDB file built in the test: `POST /_emulator/run-checks` (all,
scoped, inactive rules skipped, warehouse changes picked up) and the background schedule
(`check_interval`), which keeps running through errors and stops with the server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

HEADERS = {"Authorization": f"Bearer {DEFAULT_READWRITE_KEY}"}


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.orders (id INT, customer_id INT, status VARCHAR, loaded_at TIMESTAMP)"
    )
    con.execute(
        "INSERT INTO raw.orders VALUES (1, 10, 'placed', now() - INTERVAL 3 HOUR),"
        " (2, 99, NULL, now() - INTERVAL 5 HOUR), (3, 11, 'x', now() - INTERVAL 50 HOUR)"
    )
    con.execute("CREATE TABLE raw.customers (id INT)")
    con.execute("INSERT INTO raw.customers VALUES (10), (11)")
    con.close()
    return path


@pytest.fixture()
def emu(warehouse: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(warehouse=warehouse, seed=7)) as server:
        server.state.add_table("wh", "wh", "raw", "orders")
        server.state.add_table("wh", "wh", "raw", "customers")
        yield server


def api(emu: EmulatorServer, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, emu.api_url + path, headers=HEADERS, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r.json()["data"]


def run_checks(emu: EmulatorServer, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(emu.url + "/_emulator/run-checks", json=body, timeout=30)


def not_null(emu: EmulatorServer, column: str, path: str = "raw.orders", **extra: Any) -> Any:
    body = {"rule_type": "NOT_NULL", "table_path": path, "column_name": column, **extra}
    return api(emu, "POST", "/sdk/validity/wh", json=body)


def orphan_check(emu: EmulatorServer) -> Any:
    body = {
        "child_table_path": "raw.orders",
        "child_column_name": "customer_id",
        "parent_table_path": "raw.customers",
        "parent_column_name": "id",
    }
    return api(emu, "POST", "/sdk/referential/wh", json=body)


def test_run_checks_evaluates_every_active_rule_and_stores_results(emu: EmulatorServer) -> None:
    failing = not_null(emu, "status")
    passing = not_null(emu, "id")
    broken = not_null(emu, "no_such_column")
    inactive = not_null(emu, "status", is_active=False)
    check = orphan_check(emu)
    r = run_checks(emu)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {
        "validity": {"pass": 1, "fail": 1, "error": 1},
        "referential": {"pass": 0, "fail": 1, "error": 0},
    }
    stored = api(emu, "GET", f"/sdk/validity/wh/{failing['uuid']}/results")
    assert [(x["status"], x["invalid_count"], x["total_rows"]) for x in stored] == [("fail", 1, 3)]
    # the same record shape as an explicit POST .../check
    explicit = api(emu, "POST", f"/sdk/validity/wh/{failing['uuid']}/check", json={})
    assert set(stored[0]) == set(explicit)
    assert api(emu, "GET", f"/sdk/validity/wh/{passing['uuid']}")["latest_status"] == "pass"
    assert api(emu, "GET", f"/sdk/validity/wh/{broken['uuid']}")["latest_status"] == "error"
    assert api(emu, "GET", f"/sdk/validity/wh/{inactive['uuid']}/results") == []
    ref = api(emu, "GET", f"/sdk/referential/wh/{check['id']}")
    assert ref["latest_status"] == "fail" and ref["last_checked_at"]
    ref_results = api(emu, "GET", f"/sdk/referential/wh/{check['id']}/results")
    assert [(x["orphan_count"], x["orphan_sample"]) for x in ref_results] == [(1, [99])]


def test_run_checks_sees_warehouse_changes(emu: EmulatorServer, warehouse: Path) -> None:
    rule = not_null(emu, "status")
    check = orphan_check(emu)
    assert run_checks(emu).json()["data"]["validity"]["fail"] == 1
    con = duckdb.connect(str(warehouse))  # dbt "runs" between two scheduled checks
    con.execute("UPDATE raw.orders SET status = 'placed' WHERE status IS NULL")
    con.execute("INSERT INTO raw.customers VALUES (99)")
    con.close()
    counts = run_checks(emu).json()["data"]
    assert counts == {
        "validity": {"pass": 1, "fail": 0, "error": 0},
        "referential": {"pass": 1, "fail": 0, "error": 0},
    }
    history = api(emu, "GET", f"/sdk/validity/wh/{rule['uuid']}/results")
    assert [x["status"] for x in history] == ["pass", "fail"]  # newest first
    assert api(emu, "GET", f"/sdk/referential/wh/{check['id']}")["latest_status"] == "pass"


def test_run_checks_scope(emu: EmulatorServer) -> None:
    emu.state.add_table("other", "db", "raw", "orders")
    on_orders = not_null(emu, "status")
    on_customers = not_null(emu, "id", path="raw.customers")
    elsewhere = {"rule_type": "NOT_NULL", "table_path": "raw.orders", "column_name": "id"}
    api(emu, "POST", "/sdk/validity/other", json=elsewhere)
    orphan_check(emu)

    def totals(body: dict[str, Any]) -> tuple[int, int]:
        r = run_checks(emu, body)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        return sum(data["validity"].values()), sum(data["referential"].values())

    assert totals({}) == (3, 1)
    assert totals({"data_source": "wh"}) == (2, 1)
    assert totals({"data_source": "wh", "table": "raw.customers"}) == (1, 0)
    assert totals({"table": "wh.wh.raw.orders"}) == (1, 1)
    assert totals({"table": emu.state.resolve("wh.wh.raw.customers")[1]["id"]}) == (1, 0)  # type: ignore[index]
    assert len(api(emu, "GET", f"/sdk/validity/wh/{on_orders['uuid']}/results")) == 3
    assert len(api(emu, "GET", f"/sdk/validity/wh/{on_customers['uuid']}/results")) == 4
    for body in ({"data_source": "nope"}, {"table": "raw.orders"}, {"table": "wh.wh.raw.x"}):
        r = run_checks(emu, body)
        assert r.status_code == 404 and r.json()["error"]["code"] == "ASSET_NOT_FOUND", body
    r = run_checks(emu, {"data_source": 3})
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"


def _results(emu: EmulatorServer, uuid: str) -> list[dict[str, Any]]:
    return list(emu.state.validity_results.get(uuid, []))


def _wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_background_schedule_runs_through_errors_and_stops_with_server(warehouse: Path) -> None:
    cfg = EmulatorConfig(warehouse=warehouse, check_interval=0.05, freshness_cache_seconds=0)
    server = EmulatorServer(cfg).start()
    try:
        server.state.add_table("wh", "wh", "raw", "orders", freshness_column="loaded_at")
        good = not_null(server, "status")
        bad = not_null(server, "no_such_column")
        check = orphan_check(server)
        _wait_for(lambda: len(server.state.referential_results.get(check["id"], [])) >= 2)
        assert {r["status"] for r in _results(server, good["uuid"])} == {"fail"}
        assert _results(server, bad["uuid"])[0]["status"] == "error"
        assert server.state.referential_results[check["id"]][0]["status"] == "fail"
        # explicit calls keep working while the schedule runs
        job = api(server, "POST", "/sdk/freshness/wh.wh.raw.orders/refresh?wait=true")
        assert job["status"] == "completed" and job["result"]["status"] == "fresh"
        assert 2.9 < job["result"]["hours_since_update"] < 3.5
        assert api(server, "POST", f"/sdk/validity/wh/{good['uuid']}/check", json={})["status"]
        # deleting a rule mid-schedule stores nothing more for it
        api(server, "DELETE", f"/sdk/validity/wh/{bad['uuid']}")
        _wait_for(lambda: server.scheduler is not None and server.scheduler.runs >= 4)
        assert bad["uuid"] not in server.state.validity_results
    finally:
        server.stop()
    assert not [t for t in threading.enumerate() if t.name == "armor-emulator-checks"]
    count = len(_results(server, good["uuid"]))
    time.sleep(0.2)
    assert len(_results(server, good["uuid"])) == count  # nothing runs after stop


def test_schedule_is_off_by_default_and_interval_must_be_positive(emu: EmulatorServer) -> None:
    assert emu.scheduler is None
    rule = not_null(emu, "status")
    time.sleep(0.2)
    assert api(emu, "GET", f"/sdk/validity/wh/{rule['uuid']}/results") == []
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="check_interval"):
            EmulatorConfig(check_interval=bad)
