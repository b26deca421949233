"""The emulator's probes never stand in the way of a writer on the DuckDB warehouse file (a dbt
run starting while scheduled checks run): they read a snapshot, retaken when the file changes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.duckdb_warehouse import DuckDBWarehouse
from dbt_armor.emulator.scheduler import run_checks

WRITER = textwrap.dedent(
    """
    import sys, duckdb
    path, rounds = sys.argv[1], int(sys.argv[2])
    for i in range(rounds):
        con = duckdb.connect(path)  # read-write: fails at once if another process holds a lock
        con.execute("INSERT INTO raw.orders VALUES (?, NULL)", [1000 + i])
        con.close()
    print("ok")
    """
)


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.orders (id INT, status VARCHAR)")
    con.execute("INSERT INTO raw.orders VALUES (1, 'placed'), (2, NULL)")
    con.close()
    return path


def write_from_another_process(path: Path, rounds: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WRITER, str(path), str(rounds)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_probe_in_progress_does_not_lock_out_a_writer(warehouse: Path) -> None:
    wh = DuckDBWarehouse(warehouse)
    try:
        with wh.session() as conn:  # a probe is running right now
            assert conn.rows("SELECT count(*) FROM raw.orders")[0][0] == 2
            done = write_from_another_process(warehouse, 1)
        assert done.returncode == 0 and "ok" in done.stdout, done.stderr
        with wh.session() as conn:  # the file changed: the next probe sees the new row
            assert conn.rows("SELECT count(*) FROM raw.orders")[0][0] == 3
        assert wh.snapshots == 2
        with wh.session() as conn:  # unchanged: the snapshot is reused, not copied again
            conn.rows("SELECT 1")
        assert wh.snapshots == 2
    finally:
        wh.close()


def test_scheduled_checks_running_nonstop_never_block_writers(warehouse: Path) -> None:
    cfg = EmulatorConfig(warehouse=warehouse, freshness_cache_seconds=0)
    with EmulatorServer(cfg) as server:
        server.state.add_table("wh", "wh", "raw", "orders")
        ds_id = server.state.resolve("wh")[1]["id"]  # type: ignore[index]
        rule = {"rule_type": "NOT_NULL", "column_name": "status", "table_path": "raw.orders"}
        _create_rule(server, ds_id, rule)
        stop, results = threading.Event(), []

        def checks() -> None:
            while not stop.is_set():
                results.append(run_checks(server.app))

        loop = threading.Thread(target=checks)
        loop.start()
        try:
            done = write_from_another_process(warehouse, 40)
        finally:
            stop.set()
            loop.join(timeout=60)
        assert done.returncode == 0 and "ok" in done.stdout, done.stderr
        assert len(results) > 1
        assert all(r["validity"]["error"] == 0 for r in results), results
        final = run_checks(server.app)["validity"]
        assert final["fail"] == 1
        uuid = next(iter(server.state.validity))
        assert server.state.validity_results[uuid][0]["invalid_count"] == 41


def _create_rule(server: EmulatorServer, ds_id: str, rule: dict[str, object]) -> None:
    import httpx

    from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

    r = httpx.post(
        f"{server.api_url}/sdk/validity/{ds_id}",
        json=rule,
        headers={"Authorization": f"Bearer {DEFAULT_READWRITE_KEY}"},
        timeout=30,
    )
    assert r.status_code < 300, r.text
