"""Benchmark: loading a manifest into dbt-armor's typed subset vs a bare ``json.loads``.

Each measurement runs in a fresh subprocess: it reads the file's bytes, notes the peak RSS,
decodes (best time of a few decodes), and reports the time and the growth of peak RSS
(``ru_maxrss``, first decode) over that baseline.
Run ``python -m bench.manifest_load [--quick]``; synthetic manifests go to bench/data/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.make_manifest import write_manifest

DATA = Path(__file__).with_name("data")
SIZES = {"1k": 1_000, "10k": 10_000, "50k": 50_000}
# Best of several decodes in one process: a single 50k json.loads ranged 3-13 s from run to run
# on a shared machine, which moved the ratio more than any change to the decoder.
REPEATS = {"1k": 9, "10k": 5, "50k": 3}

_CHILD = r"""
import gc, json, resource, sys, time
from dbt_armor.project.manifest import decode_manifest
path, mode, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
gc.collect()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    doc = json.loads(data) if mode == "json" else decode_manifest(data, path)
    times.append(time.perf_counter() - t0)
    if _ == 0:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del doc
    gc.collect()
print(json.dumps({"seconds": min(times), "peak_kib": peak - base}))
"""


def _manifest(label: str) -> Path:
    path = DATA / f"manifest_{label}.json"
    if not path.exists():
        write_manifest(path, SIZES[label])
    return path


def _measure(path: Path, mode: str, repeats: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), mode, str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows of time and peak-memory ratios (typed subset / json.loads) per manifest size."""
    rows: list[dict[str, Any]] = []
    for label in ["1k", "10k"] if quick else ["1k", "10k", "50k"]:
        path = _manifest(label)
        repeats = REPEATS[label]
        base = _measure(path, "json", repeats)
        ours = _measure(path, "armor", repeats)
        mb = path.stat().st_size / 1e6
        case = f"{label} nodes ({mb:.0f} MB)"
        rows.append(_row("manifest load time", case, ours["seconds"], "s", base["seconds"]))
        rows.append(
            _row(
                "manifest load peak memory",
                case,
                ours["peak_kib"] / 1024,
                "MiB",
                base["peak_kib"] / 1024,
            )
        )
    return rows


def _row(bench: str, case: str, value: float, unit: str, baseline: float) -> dict[str, Any]:
    ratio = value / baseline if baseline > 0 else None
    return {
        "benchmark": bench,
        "case": case,
        "value": round(value, 4),
        "unit": unit,
        "baseline": round(baseline, 4),
        "ratio": None if ratio is None else round(ratio, 3),
        "note": "baseline = bare json.loads of the same bytes",
    }


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    print(f"{'benchmark':28} {'case':24} {'value':>10} {'json.loads':>11} {'ratio':>7}")
    for row in run(quick):
        print(
            f"{row['benchmark']:28} {row['case']:24} {row['value']:>8.3f}{row['unit']:>3}"
            f" {row['baseline']:>10.3f} {row['ratio'] if row['ratio'] is not None else '-':>7}"
        )


if __name__ == "__main__":
    main()
