"""``dbt-armor gate --wait-for-fresh`` against the emulator reading a DuckDB warehouse that the
test updates: a late load lets the gate pass; a load that never comes blocks at the deadline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
import duckdb
import pytest
from click.testing import CliRunner
from gate_project import DATA_SOURCE, DATABASE, SCHEMA, manifest_doc

from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READONLY_KEY, DEFAULT_READWRITE_KEY

TABLES = ("orders", "customers")


def _ago(hours: float) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).replace(tzinfo=None)


def load(warehouse: Path, table: str, hours_ago: float) -> None:
    """What a loader does: append a row stamped ``hours_ago`` hours back."""
    for attempt in range(50):  # the emulator's read-only probes hold the file briefly
        try:
            con = duckdb.connect(str(warehouse))
            break
        except duckdb.Error:
            time.sleep(0.05 * (attempt + 1))
    try:
        con.execute(f"INSERT INTO {SCHEMA}.{table} VALUES (?)", [_ago(hours_ago)])
    finally:
        con.close()


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / f"{DATABASE}.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE SCHEMA {SCHEMA}")
    for t in TABLES:
        con.execute(f"CREATE TABLE {SCHEMA}.{t} (loaded_at TIMESTAMP)")
    con.close()
    for t in TABLES:
        load(path, t, 2)
    return path


@pytest.fixture()
def server(warehouse: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(warehouse=warehouse)) as srv:
        for t in TABLES:
            srv.state.add_table(
                DATA_SOURCE, DATABASE, SCHEMA, t, freshness_column="loaded_at", threshold_hours=24
            )
        yield srv


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(manifest_doc(TABLES)))
    (tmp_path / "dbt_armor.yml").write_text(f'data_sources:\n  "*": {DATA_SOURCE}\n')
    return tmp_path


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _entry(ctx: click.Context) -> None:
    main(list(ctx.args))


def gate(
    project: Path, server: EmulatorServer, *argv: str, key: str = DEFAULT_READWRITE_KEY
) -> Any:
    env = {"ARMOR_API_KEY": key, "ARMOR_API_URL": server.api_url}
    manifest = str(project / "target" / "manifest.json")
    args = ["gate", "--manifest", manifest, "--project-dir", str(project), *argv]
    return CliRunner().invoke(_entry, args, env=env)


def late_load(server: EmulatorServer, warehouse: Path) -> None:
    """The loader lands customers 2 s after the gate first read the platform."""
    deadline = time.monotonic() + 60
    while not server.app.request_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)
    load(warehouse, "customers", 0)


def test_a_late_load_lets_the_gate_pass(
    project: Path, server: EmulatorServer, warehouse: Path
) -> None:
    load(warehouse, "orders", 0)
    stale = _ago(48)
    con = duckdb.connect(str(warehouse))
    con.execute(f"UPDATE {SCHEMA}.customers SET loaded_at = ?", [stale])
    con.close()
    server.app.clear_request_log()
    loader = threading.Thread(target=late_load, args=(server, warehouse))
    loader.start()
    try:
        started = time.monotonic()
        out = gate(project, server, "--wait-for-fresh", "60s")
        took = time.monotonic() - started
    finally:
        loader.join()
    assert out.exit_code == 0, out.output
    assert "waiting for raw.customers" in out.output
    assert 2.0 <= took < 20.0
    data = json.loads((project / "target" / "armor_gate.json").read_text())
    assert data["decision"] == "pass" and data["exit_code"] == 0
    assert {s["status"] for s in data["sources"]} == {"fresh"}
    # re-checks asked the platform to refresh (the emulator caches warehouse probes)
    assert any(r["path"].endswith("/refresh") for r in server.app.request_log())


def test_a_load_that_never_comes_blocks_at_the_deadline(
    project: Path, server: EmulatorServer, warehouse: Path
) -> None:
    con = duckdb.connect(str(warehouse))
    con.execute(f"UPDATE {SCHEMA}.orders SET loaded_at = ?", [_ago(48)])
    con.close()
    server.app.clear_request_log()
    out = gate(project, server, "--wait-for-fresh", "4s", key=DEFAULT_READONLY_KEY)
    took = time.time() - server.app.request_log()[0]["ts"]  # from the first platform read
    assert out.exit_code == 3, out.output
    assert "gave up after 4." in out.output and "--wait-for-fresh 4 s" in out.output
    assert "still waiting for raw.orders" in out.output
    assert 4.0 <= took < 5.0, took  # the last check happens at the deadline
    data = json.loads((project / "target" / "armor_gate.json").read_text())
    assert data["decision"] == "block"
    blocked = [s for s in data["sources"] if s["outcome"] == "block"]
    assert [s["unique_id"] for s in blocked] == ["source.shop.raw.orders"]


def test_fresh_sources_do_not_wait(project: Path, server: EmulatorServer) -> None:
    started = time.monotonic()
    out = gate(project, server, "--wait-for-fresh", "30s")
    assert out.exit_code == 0, out.output
    assert time.monotonic() - started < 10 and "waiting for" not in out.output


def test_a_bad_duration_is_a_usage_error(project: Path, server: EmulatorServer) -> None:
    out = gate(project, server, "--wait-for-fresh", "soon")
    assert out.exit_code == 2
    assert "--wait-for-fresh 'soon' is not a duration" in out.output
    assert "Traceback" not in out.output
