"""Load benchmark for the emulator: `GET /sdk/freshness/{id}` with 10,000 registered assets,
several httpx client threads on loopback, bounded in request count and time.

Baseline (same run): the same load against an emulator holding 100 assets, so the ratio shows
how lookup cost grows with the catalogue. Also the cost per state change with `--state`
(batched writes against write-through, and how it grows with the state's size).
Run: `python -m bench.emulator_load [--quick]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from dbt_armor.emulator import EmulatorConfig, EmulatorServer, evaluate
from dbt_armor.emulator.app import App
from dbt_armor.emulator.config import DEFAULT_READONLY_KEY

THREADS = 4
TIME_LIMIT_S = 30.0


def _server(n_assets: int) -> tuple[EmulatorServer, list[str], float]:
    server = EmulatorServer(EmulatorConfig(rate_limits=False, seed=1))
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    ids = []
    for i in range(n_assets):
        t = server.state.add_table("bench", "db", f"s{i % 50}", f"t{i}")
        server.state.overrides[t["id"]] = {
            "last_updated": (now - timedelta(hours=i % 48)).isoformat()
        }
        ids.append(t["qualified_name"] if i % 2 else t["id"])
    setup = time.perf_counter() - started
    return server.start(), ids, setup


def _load(server: EmulatorServer, ids: list[str], total: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = total // THREADS
    deadline = time.monotonic() + TIME_LIMIT_S

    def worker(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        headers = {"Authorization": f"Bearer {DEFAULT_READONLY_KEY}"}
        with httpx.Client(base_url=server.api_url, headers=headers, timeout=10) as client:
            for _ in range(per_thread):
                if time.monotonic() > deadline:
                    break
                t0 = time.perf_counter()
                r = client.get(f"/sdk/freshness/{rng.choice(ids)}")
                mine.append(time.perf_counter() - t0)
                bad += r.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "requests": float(len(latencies)),
        "errors": float(errors),
    }


def _state_changes(n_changes: int, flush_seconds: float) -> float:
    """Seconds per stored check result (one state change each) with a --state file."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = EmulatorConfig(state_file=Path(tmp) / "s.sqlite", state_flush_seconds=flush_seconds)
        app = App(cfg)
        for i in range(20):
            app.state.add_table("bench", "db", "raw", f"t{i}")
        rules = []
        with app.state.mutate() as st:
            for i in range(20):
                rule: dict[str, Any] = {"uuid": f"r{i}", "id": i, "table_path": f"raw.t{i}"}
                st.validity[rule["uuid"]] = rule
                rules.append(rule)
        started = time.perf_counter()
        for i in range(n_changes):
            evaluate.run_validity(app, rules[i % 20], 10)
        app.state.close()  # includes the final write
        return (time.perf_counter() - started) / n_changes


def _state_rows(quick: bool) -> list[dict[str, Any]]:
    small, big = (50, 400) if quick else (100, 800)
    per = {(n, f): _state_changes(n, f) for n in (small, big) for f in (0.0, 0.2)}
    return [
        {
            "case": f"--state, {big:,} results: per change, batched (0.2 s) vs write-through",
            "value": 1e6 * per[(big, 0.2)],
            "unit": "µs",
            "baseline": 1e6 * per[(big, 0.0)],
            "ratio": per[(big, 0.2)] / per[(big, 0.0)],
        },
        {
            "case": f"--state batched: per-change cost, {big:,} vs {small:,} results",
            "value": 1e6 * per[(big, 0.2)],
            "unit": "µs",
            "baseline": 1e6 * per[(small, 0.2)],
            "ratio": per[(big, 0.2)] / per[(small, 0.2)],
            "note": "about 1 = linear total cost",
        },
        {
            "case": f"--state write-through: per-change cost, {big:,} vs {small:,} results",
            "value": 1e6 * per[(big, 0.0)],
            "unit": "µs",
            "baseline": 1e6 * per[(small, 0.0)],
            "ratio": per[(big, 0.0)] / per[(small, 0.0)],
            "note": "grows with size = quadratic total cost",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    total = 800 if quick else 4000
    figures = {}
    setups = {}
    for n in (100, 10_000):
        server, ids, setups[n] = _server(n)
        try:
            _load(server, ids, total // 4)  # warm-up: connections, caches
            figures[n] = _load(server, ids, total)
        finally:
            server.stop()
    big, small = figures[10_000], figures[100]
    note = f"{THREADS} threads, {int(big['requests'])} requests, {int(big['errors'])} errors"
    rows: list[dict[str, Any]] = [
        {
            "case": "GET /sdk/freshness/{id}, 10k assets: throughput",
            "value": big["rps"],
            "unit": "req/s",
            "baseline": small["rps"],
            "ratio": big["rps"] / small["rps"],
            "note": note + "; baseline = 100 assets",
        },
        {
            "case": "GET /sdk/freshness/{id}, 10k assets: p50 latency",
            "value": big["p50_ms"],
            "unit": "ms",
            "baseline": small["p50_ms"],
            "ratio": big["p50_ms"] / small["p50_ms"],
        },
        {
            "case": "GET /sdk/freshness/{id}, 10k assets: p99 latency",
            "value": big["p99_ms"],
            "unit": "ms",
            "baseline": small["p99_ms"],
            "ratio": big["p99_ms"] / small["p99_ms"],
        },
        {
            "case": "register 10k assets (per asset)",
            "value": 1e6 * setups[10_000] / 10_000,
            "unit": "µs",
            "baseline": 1e6 * setups[100] / 100,
            "ratio": (setups[10_000] / 10_000) / (setups[100] / 100),
        },
    ]
    rows.extend(_state_rows(quick))
    for row in rows:
        row["benchmark"] = "emulator_load"
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.emulator_load")
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(f"{row['case']}: {row['value']:.3g} {row['unit']} (ratio {row['ratio']:.3g})")
