"""Writing dbt's sources.json for N sources: ``dbt-armor freshness --write-sources`` (facts from
the emulator) against ``dbt source freshness`` (one query per source in DuckDB), same project.

Both are timed as CLI subprocesses after one shared ``dbt parse``; the dbt-armor write is also
timed with ``--manifest`` (no dbt parse, as when the manifest is at hand). Warehouse queries of
dbt are counted in its debug log; dbt-armor runs while the benchmark holds DuckDB's exclusive
lock on the warehouse file, so any connection it tried would fail.
Run: ``python -m bench.new_data_bench [--quick]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

DBT = str(Path(sys.executable).with_name("dbt"))
QUERY_MARK = "max(loaded_at) as max_loaded_at"


def _project(root: Path, n: int) -> Path:
    """A dbt project with n DuckDB source tables (raw.t0000...), each with a loaded_at column."""
    import duckdb

    root.mkdir(parents=True)
    (root / "dbt_project.yml").write_text(
        "name: fresh_bench\nversion: '1.0'\nprofile: fresh_bench\nconfig-version: 2\n"
    )
    (root / "profiles.yml").write_text(
        "fresh_bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{root / 'bench.duckdb'}'\n      schema: main\n      threads: 4\n"
    )
    (root / "dbt_armor.yml").write_text("data_sources:\n  '*': warehouse\n")
    tables = "".join(f"      - name: t{i:04d}\n" for i in range(n))
    (root / "models").mkdir()
    (root / "models" / "sources.yml").write_text(
        "version: 2\nsources:\n  - name: raw\n    schema: raw\n    config:\n"
        "      loaded_at_field: loaded_at\n      freshness:\n"
        "        warn_after: {count: 12, period: hour}\n"
        "        error_after: {count: 24, period: hour}\n"
        f"    tables:\n{tables}"
    )
    with duckdb.connect(str(root / "bench.duckdb")) as con:
        con.execute("create schema raw")
        for i in range(n):
            con.execute(
                f"create table raw.t{i:04d} as select range as id, "
                "now()::timestamp - to_hours(range) as loaded_at from range(10)"
            )
    return root


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "ARMOR_"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    return env


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # dbt source freshness exits 1 on stale sources
        raise RuntimeError(f"{' '.join(argv[:4])} exited {done.returncode}: {done.stderr[-800:]}")
    return wall, done.stdout


def _dbt_freshness(root: Path) -> tuple[float, int, int]:
    """Seconds, warehouse queries (from dbt's debug log) and sources written."""
    dirs = ["--project-dir", str(root), "--profiles-dir", str(root)]
    _timed([DBT, "parse", *dirs], root, _env())
    shutil.rmtree(root / "logs", ignore_errors=True)
    wall, _ = _timed([DBT, "source", "freshness", *dirs], root, _env())
    queries = (root / "logs" / "dbt.log").read_text(errors="replace").count(QUERY_MARK)
    written = len(json.loads((root / "target" / "sources.json").read_text())["results"])
    return wall, queries, written


def _emulator(n: int) -> EmulatorServer:
    """Platform facts for every table (the platform's monitor already holds them)."""
    server = EmulatorServer(EmulatorConfig(port=0, seed=11))
    st = server.state
    with st.mutate():
        for i in range(n):
            t = st.add_table("warehouse", "bench", "raw", f"t{i:04d}")
            st.overrides[t["id"]] = {"status": "fresh", "hours_since_update": 0.5}
    return server.start()


def _armor(root: Path, api_url: str, *extra: str) -> tuple[float, dict[str, Any]]:
    env = _env()
    env.update(ARMOR_API_KEY=DEFAULT_READWRITE_KEY, ARMOR_API_URL=api_url)
    argv = [sys.executable, "-m", "dbt_armor", "freshness", "--write-sources", *extra]
    argv += ["--format", "json", "--project-dir", str(root), "--profiles-dir", str(root)]
    wall, out = _timed(argv, root, env)
    return wall, json.loads(out)


def _case(n: int, tmp: Path) -> list[dict[str, Any]]:
    root = _project(tmp / f"n{n}", n)
    dbt_wall, queries, dbt_written = _dbt_freshness(root)
    import duckdb

    server = _emulator(n)
    # Held for both runs: DuckDB's exclusive file lock makes any warehouse connection fail.
    lock = duckdb.connect(str(root / "bench.duckdb"))
    try:
        wall, payload = _armor(root, server.api_url)
        fast, again = _armor(root, server.api_url, "--manifest", str(root / "target/manifest.json"))
    finally:
        lock.close()
        server.stop()
    written = len(payload["results"])
    assert written == n == len(again["results"]) == dbt_written, (written, dbt_written)
    case = f"N={n:,} sources"
    base = "baseline = `dbt source freshness` on the same DuckDB sources"
    return [
        {
            "benchmark": "new_data_write_time",
            "case": f"{case}, CLI with dbt parse",
            "value": round(wall, 3),
            "unit": "s",
            "baseline": round(dbt_wall, 3),
            "ratio": round(wall / dbt_wall, 3),
            "note": f"{base}; {payload['platform_requests']} platform requests",
        },
        {
            "benchmark": "new_data_write_time",
            "case": f"{case}, --manifest (no dbt parse)",
            "value": round(fast, 3),
            "unit": "s",
            "baseline": round(dbt_wall, 3),
            "ratio": round(fast / dbt_wall, 3),
            "note": f"{base}; {again['platform_requests']} platform requests",
        },
        {
            "benchmark": "new_data_warehouse_queries",
            "case": case,
            "value": payload["warehouse_queries"],
            "unit": "queries",
            "baseline": queries,
            "ratio": round(payload["warehouse_queries"] / max(queries, 1), 3),
            "note": "baseline counted in dbt's debug log; dbt-armor ran while this benchmark "
            "held DuckDB's exclusive lock on the warehouse (any connection would have failed)",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    sizes = [100] if quick else [100, 1_000]
    rows: list[dict[str, Any]] = []
    with TemporaryDirectory() as tmp:
        for n in sizes:
            rows += _case(n, Path(tmp))
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
