"""Gate platform reads: requests and wall time for gating N sources against the emulator with
50 ms injected latency, per-key tier limits on both sides, and N + 50% extra assets in the
same data source (so the paged list competes with per-name GETs).

Baselines (same run): the request goal ceil(N/100)+3, and the wall-time bound
``max(0, R - burst) / (rate/60) + L * depth`` where R = requests made, L = one request's
latency measured through the same client, and depth = rounds of requests that cannot overlap
(list probe, remaining pages over the worker pool, validity then referential). Goal: ratio <= 1.5.
Run: ``python -m bench.gate_bench [--quick]``.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from dbt_armor.api import ArmorClient
from dbt_armor.api.limiter import TIERS
from dbt_armor.config import Settings
from dbt_armor.emulator import ApiKey, EmulatorConfig, EmulatorServer
from dbt_armor.gate.api import Prepared, check
from dbt_armor.gate.fetch import DIRECT_MAX, PAGE
from dbt_armor.project import decode_manifest

LATENCY_MS = 50
WORKERS = 8
EXTRA = 0.5
SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json"
KEY = "aa_live_gatebench_{tier}_0000000000000000000000"


def _names(n: int) -> list[str]:
    """n gated + n*EXTRA other table names; in name order every third one is not gated, so
    every list page mixes both."""
    return [f"t{i:06d}" for i in range(n + int(n * EXTRA))]


def _gated(n: int) -> list[str]:
    every = round(1 / EXTRA) + 1 if EXTRA else 0
    names = [x for i, x in enumerate(_names(n)) if not every or i % every != every - 1]
    return names[:n]


def _manifest(n: int) -> bytes:
    """n sources (duckdb, schema raw), each read by one model."""
    import json

    sources, nodes = {}, {}
    for i, name in enumerate(_gated(n)):
        sid, mid = f"source.b.raw.{name}", f"model.b.m{i}"
        sources[sid] = {"unique_id": sid, "name": name, "source_name": "raw",
                        "database": "demo", "schema": "raw", "fqn": ["b", "raw", name]}  # fmt: skip
        nodes[mid] = {"unique_id": mid, "resource_type": "model", "name": f"m{i}",
                      "database": "demo", "schema": "main", "fqn": ["b", f"m{i}"],
                      "depends_on": {"nodes": [sid]}}  # fmt: skip
    meta = {"dbt_schema_version": SCHEMA, "adapter_type": "duckdb", "project_name": "b"}
    return json.dumps({"metadata": meta, "sources": sources, "nodes": nodes}).encode()


def _server(n: int) -> EmulatorServer:
    """An emulator with one key per tier and n gated + n*EXTRA other monitored tables."""
    keys = [ApiKey(KEY.format(tier=t), "read-only", t) for t in TIERS]
    server = EmulatorServer(EmulatorConfig(keys=keys, seed=3))
    st = server.state
    with st.mutate():
        for name in _names(n):
            t = st.add_table("warehouse", "demo", "raw", name)
            st.overrides[t["id"]] = {"status": "fresh", "hours_since_update": 1.0}
    server.start()
    server.app.faults.add(_latency_fault())
    return server


def _latency_fault() -> Any:
    from dbt_armor.emulator.faults import parse_fault

    return parse_fault({"match": "* /api/v1/*", "latency_ms": LATENCY_MS, "count": None})


def _depth(n: int, total: int) -> int:
    """Rounds of requests that cannot overlap, for the strategy the gate should pick."""
    quality = 2  # validity list, then referential list (one page each here)
    if n <= DIRECT_MAX:
        return math.ceil(n / WORKERS) + quality
    pages = math.ceil(total / PAGE)
    return 1 + math.ceil((pages - 1) / WORKERS) + quality


def _one_latency(client: ArmorClient) -> float:
    started = time.perf_counter()
    client.freshness.list(source="warehouse", limit=1)
    return time.perf_counter() - started


def _replay(client: ArmorClient, log: list[dict[str, Any]]) -> float:
    """The gate's own requests re-sent in the same rounds with no gate logic: the floor."""
    from concurrent.futures import ThreadPoolExecutor

    def get(entry: dict[str, Any]) -> None:
        path = entry["path"].removeprefix("/api/v1")
        client.request("GET", path + ("?" + entry["query"] if entry["query"] else ""))

    fresh = [e for e in log if e["path"].startswith("/api/v1/sdk/freshness")]
    first = [e for e in fresh if "offset=0" in e["query"].split("&")][:1]
    rest = [e for e in fresh if e not in first]
    quality = [e for e in log if e not in fresh]
    started = time.perf_counter()
    for e in first:
        get(e)
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(get, rest))
    for e in quality:
        get(e)
    return time.perf_counter() - started


def _gate(server: EmulatorServer, n: int, tier: str, doc: bytes, tmp: Path) -> dict[str, Any]:
    rate, burst = TIERS[tier]
    manifest = decode_manifest(doc)
    selected = frozenset(manifest.nodes)
    target = tmp / f"{tier}_{n}"
    target.mkdir()
    prepared = Prepared(manifest, target / "manifest.json", selected, {}, None, target, {})
    settings = Settings(data_sources={"*": "warehouse"})
    key = KEY.format(tier=tier)
    with ArmorClient(key, server.api_url, rate_limit_per_min=rate, burst=burst) as probe:
        latency = _one_latency(probe)
    server.app.limiter.reset()
    server.app.clear_request_log()
    now = datetime.now(timezone.utc)
    with ArmorClient(key, server.api_url, rate_limit_per_min=rate, burst=burst) as client:
        started = time.perf_counter()
        result = check(prepared, settings, client=client, now=lambda: now, write=False)
        wall = time.perf_counter() - started
    log = [e for e in server.app.request_log() if e["path"].startswith("/api/")]
    assert result.label == "pass", result.note
    server.app.limiter.reset()
    with ArmorClient(key, server.api_url, rate_limit_per_min=rate, burst=burst) as client:
        replay = _replay(client, log)
    total = n + int(n * EXTRA)
    requests = len(log)
    throttled = sum(1 for e in log if e.get("status") == 429)
    depth = _depth(n, total)
    bound = max(0, requests - burst) / (rate / 60.0) + latency * depth
    return {
        "requests": requests,
        "throttled": throttled,
        "wall": wall,
        "replay": replay,
        "bound": bound,
        "latency": latency,
        "depth": depth,
        "total": total,
    }


def _rows(n: int, tier: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    goal = math.ceil(n / PAGE) + 3
    best = math.ceil(m["total"] / PAGE) + 2
    case = f"N={n:,} {tier}"
    return [
        {
            "benchmark": "gate_requests",
            "case": case,
            "value": m["requests"],
            "unit": "requests",
            "baseline": goal,
            "ratio": round(m["requests"] / goal, 3),
            "note": f"goal ceil(N/100)+3; {m['total']:,} assets in the data source need "
            f"{best} (ceil(assets/100) list pages + 2 rule lists); 429s: {m['throttled']}",
        },
        {
            "benchmark": "gate_wall",
            "case": case,
            "value": round(m["wall"], 3),
            "unit": "s",
            "baseline": round(m["bound"], 3),
            "ratio": round(m["wall"] / m["bound"], 3),
            "note": f"bound = max(0, {m['requests']} req - burst) / rate + "
            f"{m['latency'] * 1000:.0f} ms x depth {m['depth']}",
        },
        {
            "benchmark": "gate_overhead",
            "case": case,
            "value": round(m["wall"], 3),
            "unit": "s",
            "baseline": round(m["replay"], 3),
            "ratio": round(m["wall"] / m["replay"], 3),
            "note": "baseline = the same requests re-sent in the same rounds by the same "
            "client without gate logic (includes the emulator's own processing)",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    sizes = [10, 100, 1_000] if quick else [10, 100, 1_000, 5_000]
    rows: list[dict[str, Any]] = []
    with TemporaryDirectory() as tmp:
        for n in sizes:
            server = _server(n)
            try:
                doc = _manifest(n)
                rows += _rows(n, "growth", _gate(server, n, "growth", doc, Path(tmp)))
                if n == 100:
                    for tier in TIERS:
                        if tier != "growth":
                            rows += _rows(n, tier, _gate(server, n, tier, doc, Path(tmp)))
            finally:
                server.stop()
    return rows


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
