"""Overhead of ``dbt-armor run`` over a plain ``dbt run`` on a temp copy of integration_project.

Baseline: ``dbt run`` (the dbt CLI in a subprocess). Measured: ``dbt-armor run`` with dbt
in-process (parse -> ls -> run on one in-memory manifest) and with ``--dbt-mode subprocess``,
against the emulator on loopback with fresh sources. Median wall time of 3 runs (quick: 1), plus
the in-process run's own phase timings from target/armor_gate.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "integration_project"
DBT = str(Path(sys.executable).with_name("dbt"))
NAME = "wrapper_bench"


def _copy(dest: Path) -> Path:
    """integration_project without build output, pointed at its own warehouse file."""
    ignore = shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb", "__pycache__")
    shutil.copytree(SOURCE, dest, symlinks=True, ignore=ignore)
    packages = dest / "packages.yml"
    packages.write_text(
        re.sub(r"local:\s*\.\.\s*$", f"local: {REPO}", packages.read_text(), flags=re.M)
    )
    profiles = dest / "profiles.yml"
    db = dest / "warehouse.duckdb"
    profiles.write_text(
        re.sub(r"^(\s+path:\s*).*$", rf'\g<1>"{db}"', profiles.read_text(), flags=re.M)
    )
    return dest


def _env(api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_ARMOR_RESULTS")}
    env.pop("DBT_TARGET_PATH", None)
    env.update(
        ARMOR_API_KEY=DEFAULT_READWRITE_KEY,
        ARMOR_API_URL=api_url,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    return env


def _timed(argv: list[str], project: Path, env: dict[str, str]) -> float:
    dirs = ["--project-dir", str(project), "--profiles-dir", str(project)]
    started = time.perf_counter()
    done = subprocess.run(
        [*argv, *dirs], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def _fresh(db: Path) -> None:
    import duckdb

    with duckdb.connect(str(db)) as con:
        for table in ("customers", "orders", "payments"):
            con.execute(
                f"update raw.{table} set loaded_at = loaded_at + "
                f"(now()::timestamp - interval 1 hour - (select max(loaded_at) from raw.{table}))"
            )


def _row(case: str, value: float, baseline: float | None, unit: str = "s") -> dict[str, Any]:
    return {
        "benchmark": NAME,
        "case": case,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": None if not baseline else round(value / baseline, 3),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    repeats = 1 if quick else 3
    with TemporaryDirectory(prefix="armor-wrapper-bench-") as tmp:
        project = _copy(Path(tmp) / "shop")
        env = _env("http://127.0.0.1:9/api/v1")
        for step in (["deps"], ["seed"], ["run"]):  # build once so every case reruns the same
            _timed([DBT, *step], project, env)
        _fresh(project / "warehouse.duckdb")
        cfg = EmulatorConfig(port=0, warehouse=project / "warehouse.duckdb", seed=1)
        server = EmulatorServer(cfg).start()
        try:
            manifest = json.loads((project / "target" / "manifest.json").read_text())
            for ds in ("warehouse", "crm"):
                httpx.post(
                    f"{server.url}/_emulator/manifest?data_source={ds}", json=manifest
                ).raise_for_status()
            env = _env(server.api_url)
            armor = [sys.executable, "-m", "dbt_armor", "run"]
            cases = {
                "dbt run (baseline)": [DBT, "run"],
                "dbt-armor run (in-process dbt)": armor,
                "dbt-armor run --dbt-mode subprocess": [*armor, "--dbt-mode", "subprocess"],
            }
            times: dict[str, list[float]] = {c: [] for c in cases}
            phases: dict[str, list[float]] = {}
            for _ in range(repeats):  # interleaved, so machine load hits every case alike
                for case, argv in cases.items():
                    times[case].append(_timed(argv, project, env))
                    if "in-process" in case:
                        gate = json.loads((project / "target" / "armor_gate.json").read_text())
                        for phase, secs in gate.get("timings", {}).items():
                            phases.setdefault(phase, []).append(float(secs))
        finally:
            server.stop()
    base = statistics.median(times["dbt run (baseline)"])
    rows = [_row(c, statistics.median(t), base) for c, t in times.items()]
    for phase, secs in phases.items():
        rows.append(_row(f"in-process phase: {phase}", statistics.median(secs), base))
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
