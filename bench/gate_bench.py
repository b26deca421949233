"""Gate platform reads: requests and wall time for gating N sources against the emulator with
50 ms injected latency, per-key tier limits on both sides, and N + 50% extra assets in the
same data source (so the paged list competes with per-name GETs).

Baselines (same run): the request goal ceil(N/100)+3, and the wall-time bound
``max(0, R - burst) / (rate/60) + L * depth`` where R = requests made, L = one request's
latency measured through the same client, and depth = rounds of requests that cannot overlap
(the list probe with the rule and check lists beside it, then the remaining pages over the
worker pool). Goal: ratio <= 1.5.
Run: ``python -m bench.gate_bench [--quick]``.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from dbt_armor.api import ArmorClient
from dbt_armor.api.limiter import TIERS
from dbt_armor.config import Settings
from dbt_armor.emulator import ApiKey, EmulatorConfig, EmulatorServer
from dbt_armor.gate.fetch import DIRECT_MAX, PAGE
from dbt_armor.gate.pipeline import Prepared, check
from dbt_armor.project import decode_manifest

LATENCY_MS = 50
WORKERS = 8
SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json"
KEY = "aa_live_gatebench_{tier}_0000000000000000000000"
ROLES = ("probe", "gate", "replay")  # separate keys: each phase starts with a fresh limit


def _names(n: int, extra: float) -> list[str]:
    """All table names in the data source: n gated + n*extra others."""
    return [f"t{i:06d}" for i in range(n + int(n * extra))]


def _gated(n: int, extra: float) -> list[str]:
    """The n gated names; in name order the others are spread evenly, so every list page
    mixes both."""
    names = _names(n, extra)
    if not extra:
        return names
    every = round(1 / extra) + 1
    return [x for i, x in enumerate(names) if i % every != every - 1][:n]


def _manifest(n: int, extra: float) -> bytes:
    """n sources (duckdb, schema raw), each read by one model."""
    sources, nodes = {}, {}
    for i, name in enumerate(_gated(n, extra)):
        sid, mid = f"source.b.raw.{name}", f"model.b.m{i}"
        sources[sid] = {"unique_id": sid, "name": name, "source_name": "raw",
                        "database": "demo", "schema": "raw", "fqn": ["b", "raw", name]}  # fmt: skip
        nodes[mid] = {"unique_id": mid, "resource_type": "model", "name": f"m{i}",
                      "database": "demo", "schema": "main", "fqn": ["b", f"m{i}"],
                      "depends_on": {"nodes": [sid]}}  # fmt: skip
    meta = {"dbt_schema_version": SCHEMA, "adapter_type": "duckdb", "project_name": "b"}
    return json.dumps({"metadata": meta, "sources": sources, "nodes": nodes}).encode()


def _serve(n: int, extra: float, conn: Connection) -> None:
    """Child process: an emulator with per-tier keys and the catalogue, until told to stop."""
    from dbt_armor.emulator.faults import parse_fault

    keys = [ApiKey(KEY.format(tier=f"{t}_{role}"), "read-only", t) for t in TIERS for role in ROLES]
    server = EmulatorServer(EmulatorConfig(keys=keys, seed=3))
    st = server.state
    with st.mutate():
        for name in _names(n, extra):
            t = st.add_table("warehouse", "demo", "raw", name)
            st.overrides[t["id"]] = {"status": "fresh", "hours_since_update": 1.0}
    server.app.faults.add(
        parse_fault({"match": "* /api/v1/*", "latency_ms": LATENCY_MS, "count": None})
    )
    server.start()
    conn.send(server.api_url)
    conn.recv()
    server.stop()


@contextmanager
def _emulator(n: int, extra: float) -> Iterator[str]:
    """The emulator in its own process (so its CPU does not share the gate's GIL)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(n, extra, child), daemon=True)
    proc.start()
    try:
        if not parent.poll(300):
            raise RuntimeError("the emulator did not start within 300 s")
        yield str(parent.recv())
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()


def _log(api_url: str, clear: bool = False) -> list[dict[str, Any]]:
    url = api_url.removesuffix("/api/v1") + "/_emulator/requests"
    if clear:
        httpx.delete(url, timeout=30)
        return []
    entries = httpx.get(url, timeout=30).json()["data"]
    return [e for e in entries if e["path"].startswith("/api/")]


def _depth(n: int, total: int) -> int:
    """Rounds of requests that cannot overlap, for the strategy the gate should pick."""
    # The validity and referential lists are read alongside the first freshness round.
    if n <= DIRECT_MAX:
        return math.ceil((n + 2) / WORKERS)
    pages = math.ceil(total / PAGE)
    return 1 + math.ceil((pages - 1) / WORKERS)


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
    with ThreadPoolExecutor(WORKERS) as pool:
        lists = [pool.submit(get, e) for e in quality]
        for e in first:
            get(e)
        list(pool.map(get, rest))
        for f in lists:
            f.result()
    return time.perf_counter() - started


def _gate(api_url: str, n: int, tier: str, doc: bytes, tmp: Path, extra: float) -> dict[str, Any]:
    rate, burst = TIERS[tier]
    manifest = decode_manifest(doc)
    selected = frozenset(manifest.nodes)
    target = tmp / f"{tier}_{n}_{extra}"
    target.mkdir()
    prepared = Prepared(manifest, target / "manifest.json", selected, {}, None, target, {})
    settings = Settings(data_sources={"*": "warehouse"})
    key = {role: KEY.format(tier=f"{tier}_{role}") for role in ROLES}
    with ArmorClient(key["probe"], api_url, rate_limit_per_min=rate, burst=burst) as probe:
        latency = _one_latency(probe)
    _log(api_url, clear=True)
    now = datetime.now(timezone.utc)
    with ArmorClient(key["gate"], api_url, rate_limit_per_min=rate, burst=burst) as client:
        started = time.perf_counter()
        result = check(prepared, settings, client=client, now=lambda: now, write=False)
        wall = time.perf_counter() - started
        bucket = client.limiter.burst if client.limiter else float(burst)
        paced = client.limiter.rate * 60 if client.limiter else float(rate)
    log = _log(api_url)
    assert result.label == "pass", result.note
    with ArmorClient(key["replay"], api_url, rate_limit_per_min=rate, burst=burst) as client:
        replay = _replay(client, log)
    total = len(_names(n, extra))
    requests = len(log)
    throttled = sum(1 for e in log if e.get("status") == 429)
    depth = _depth(n, total)
    bound = max(0, requests - burst) / (rate / 60.0) + latency * depth
    return {
        "requests": requests,
        "throttled": throttled,
        "wall": wall,
        "client": f"client bucket {bucket:g}, {paced:g}/min",
        "replay": replay,
        "bound": bound,
        "latency": latency,
        "depth": depth,
        "total": total,
    }


def _rows(n: int, tier: str, extra: float, m: dict[str, Any]) -> list[dict[str, Any]]:
    goal = math.ceil(n / PAGE) + 3
    best = math.ceil(m["total"] / PAGE) + 2
    case = f"N={n:,} +{extra:.0%} {tier}"
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
            f"{m['latency'] * 1000:.0f} ms x depth {m['depth']} (published tier limits; "
            f"{m['client']})",
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


def _case(n: int, extra: float, tiers: tuple[str, ...], tmp: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    doc = _manifest(n, extra)
    with _emulator(n, extra) as api_url:
        for tier in tiers:
            rows += _rows(n, tier, extra, _gate(api_url, n, tier, doc, tmp, extra))
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    sizes = [10, 100, 1_000] if quick else [10, 100, 1_000, 5_000]
    rows: list[dict[str, Any]] = []
    with TemporaryDirectory() as tmp:
        for n in sizes:
            tiers = tuple(TIERS) if n == 100 else ("growth",)
            rows += _case(n, 0.5, tiers, Path(tmp))
        for n in sizes[-2:]:
            rows += _case(n, 0.0, ("growth",), Path(tmp))
    return rows


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
