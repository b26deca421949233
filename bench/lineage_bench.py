"""Lineage upload: slim vs full body size and build time on a large synthetic manifest.

Baseline = the full upload (dbt's manifest bytes plus the armor block). Both times include
the one decode of the manifest, as ``lineage publish`` does it, and are the best of three
interleaved builds, each traced as recorded since the first run (on a shared machine even the
best of three moves the time ratio by about 0.05 from run to run). Uses bench/make_manifest.py
when present, else a small generator of its own.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

from dbt_armor.lineage.payload import build_payload
from dbt_armor.project.manifest import decode_manifest

DATA = Path(__file__).with_name("data")
ROUNDS = 3
REPO = Path(__file__).resolve().parents[1]


def _shown(path: Path) -> str:
    """The path as RESULTS.md records it: relative to the repository, never the machine's."""
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return path.name


def _own_manifest(n: int) -> bytes:
    nodes: dict[str, Any] = {}
    parent_map: dict[str, list[str]] = {}
    sources = {
        f"source.big.raw.t{i}": {
            "unique_id": f"source.big.raw.t{i}",
            "resource_type": "source",
            "source_name": "raw",
            "name": f"t{i}",
            "database": "db",
            "schema": "raw",
            "identifier": f"t{i}",
            "columns": {},
            "description": "x" * 200,
        }
        for i in range(max(1, n // 20))
    }
    src_ids = list(sources)
    for i in range(n):
        kind = "test" if i % 2 else "model"
        uid = f"{kind}.big.n{i}"
        deps = [src_ids[i % len(src_ids)]] if i < 2 or kind == "test" else [f"model.big.n{i - 2}"]
        nodes[uid] = {
            "unique_id": uid,
            "resource_type": kind,
            "name": f"n{i}",
            "package_name": "big",
            "database": "db",
            "schema": "main",
            "alias": f"n{i}",
            "relation_name": f'"db"."main"."n{i}"',
            "fqn": ["big", f"n{i}"],
            "config": {"materialized": "table", "enabled": True, "meta": {}},
            "depends_on": {"nodes": deps, "macros": ["macro.dbt.x"]},
            "raw_code": "select * from x " * 40,
            "description": "d" * 300,
            "columns": {f"c{j}": {"name": f"c{j}", "description": "c"} for j in range(8)},
            "checksum": {"name": "sha256", "checksum": "0" * 64},
        }
        parent_map[uid] = deps
    for s in src_ids:
        parent_map[s] = []
    return json.dumps(
        {
            "metadata": {"project_name": "big", "generated_at": "x"},
            "nodes": nodes,
            "sources": sources,
            "exposures": {},
            "parent_map": parent_map,
        }
    ).encode()


def _manifest(n: int) -> tuple[bytes, str]:
    path = DATA / f"manifest_{n // 1000}k.json"
    if path.exists():
        return path.read_bytes(), _shown(path)
    try:
        from bench import make_manifest  # another benchmark's generator

        DATA.mkdir(exist_ok=True)
        make_manifest.write_manifest(path, n)
        return path.read_bytes(), _shown(path)
    except Exception:
        return _own_manifest(n), "own generator"


def _measure(raw: bytes, names: dict[str, str], slim: bool) -> tuple[int, float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    manifest = decode_manifest(raw, "bench")
    payload = build_payload(
        manifest, data_source="wh", names=names, slim=slim, raw=None if slim else raw
    )
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return len(payload.body), seconds, peak / 2**20


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 5_000 if quick else 50_000
    raw, origin = _manifest(n)
    names = {f"model.big.n{i}": f"wh.db.main.n{i}" for i in range(0, n, 2)}
    full: list[tuple[int, float, float]] = []
    slim: list[tuple[int, float, float]] = []
    for _ in range(ROUNDS):  # interleaved, so a busy moment on the machine hits both alike
        full.append(_measure(raw, names, slim=False))
        slim.append(_measure(raw, names, slim=True))
    full_size, full_s, full_mb = full[0][0], min(r[1] for r in full), max(r[2] for r in full)
    slim_size, slim_s, slim_mb = slim[0][0], min(r[1] for r in slim), max(r[2] for r in slim)
    case = f"{n:,} nodes ({origin}, {len(raw) / 2**20:.0f} MiB)"
    rows = [
        ("upload size", slim_size / 2**20, full_size / 2**20, "MiB"),
        ("build time", slim_s, full_s, "s"),
        ("build peak memory (traced)", slim_mb, full_mb, "MiB"),
    ]
    return [
        {
            "benchmark": f"lineage {what}: slim vs full",
            "case": case,
            "value": round(v, 3),
            "unit": unit,
            "baseline": round(b, 3),
            "ratio": round(v / b, 3) if b else None,
        }
        for what, v, b, unit in rows
    ]


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
