"""Probe cost on a DuckDB warehouse: the emulator's snapshot reads (retaken after a change, or
reused) against the same-run baseline of opening the file read-only for every probe, and how
many writer opens fail while probes run nonstop (baseline: the shared lock of read-only opens).
Run: `python -m bench.warehouse_probe [--quick]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from dbt_armor.emulator.duckdb_warehouse import DuckDBWarehouse

PARTS = ["wh", "raw", "orders"]
WRITER = (
    "import sys, duckdb\n"
    "fails = 0\n"
    "for i in range(int(sys.argv[2])):\n"
    "    try:\n"
    "        con = duckdb.connect(sys.argv[1]); con.execute('SELECT 1'); con.close()\n"
    "    except Exception:\n"
    "        fails += 1\n"
    "print(fails)\n"
)


def _warehouse(root: Path, rows: int) -> Path:
    path = root / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.orders AS SELECT range AS id, 'status_' || (range % 7) AS status,"
        f" TIMESTAMP '2024-01-01' + to_seconds(range) AS loaded_at FROM range({rows})"
    )
    con.close()
    return path


def _per_probe_ms(probe: Callable[[], Any], n: int) -> float:
    probe()
    started = time.perf_counter()
    for _ in range(n):
        probe()
    return (time.perf_counter() - started) / n * 1000


def _failed_writer_opens(path: Path, probe: Callable[[], Any], opens: int) -> int:
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                probe()
            except Exception:  # the baseline's own open fails while the writer holds the file
                time.sleep(0.001)

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRITER, str(path), str(opens)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    finally:
        stop.set()
        thread.join()
    return int(done.stdout.strip())


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows, probes, opens = (50_000, 20, 30) if quick else (500_000, 50, 100)
    with tempfile.TemporaryDirectory() as tmp:
        path = _warehouse(Path(tmp), rows)
        size_mb = path.stat().st_size / 1e6

        def direct() -> None:
            con = duckdb.connect(str(path), read_only=True)
            try:
                con.execute("SELECT max(loaded_at) FROM raw.orders").fetchone()
            finally:
                con.close()

        wh = DuckDBWarehouse(path)

        def reused() -> None:
            wh.newest(PARTS, "loaded_at")

        def retaken() -> None:
            wh.close()  # as after every write to the file
            wh.newest(PARTS, "loaded_at")

        try:
            base = _per_probe_ms(direct, probes)
            out: list[dict[str, Any]] = []
            for case, probe in (("snapshot retaken", retaken), ("snapshot reused", reused)):
                ms = _per_probe_ms(probe, probes)
                out.append(
                    {
                        "case": f"{case} ({size_mb:.0f} MB file)",
                        "value": ms,
                        "unit": "ms/probe",
                        "baseline": base,
                        "ratio": ms / base,
                        "note": "baseline: read-only open per probe",
                    }
                )
            locked = _failed_writer_opens(path, direct, opens)
            failed = _failed_writer_opens(path, reused, opens)
        finally:
            wh.close()
    out.append(
        {
            "case": f"writer opens failing during nonstop probes (of {opens})",
            "value": failed,
            "unit": "opens",
            "baseline": locked,
            "note": "baseline: read-only open per probe",
        }
    )
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(row)
