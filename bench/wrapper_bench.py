"""Overhead of ``dbt-armor run`` over a plain ``dbt run``: whole processes, interleaved rounds.

Baseline: ``dbt run`` (the dbt CLI). Measured: ``dbt-armor run`` with dbt in-process and with
``--dbt-mode subprocess``, against the emulator on loopback and with 150 ms added to every API
call, on a temp copy of integration_project and on a generated project (bench/big_project.py).
Each round runs every case once in a rotating order; rows give medians, the range of the
per-round ratios, the median CPU time of each case's process tree (less sensitive to other load
than wall time) and the load average.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench.big_project import generate, load
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "integration_project"
DBT = str(Path(sys.executable).with_name("dbt"))
_SCRIPT = Path(sys.executable).with_name("dbt-armor")
ARMOR = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "dbt_armor"]
NAME = "wrapper_bench"
NOTES = (
    "wrapper_bench: the generated project (bench/big_project.py, written into a temp dir at "
    "bench time) has 20 DuckDB source tables with 10 fresh rows each, one staging view per "
    "source, then layers of 100 views, each reading two views of the layer below, up to 1,000 "
    "models. Every case there runs `--select +m2_0` (6 models): the parse, the selection and "
    "the gate scale with the project, building all of it would only add the same dbt time to "
    "every case. A full `dbt run` of all 1,000 models took 265 s (full parse) and 232 s "
    "(partial parse) on this machine at a load average of about 9."
)
# On the generated project every case runs this selection (6 models): dbt's parse of the whole
# project, the selection and the gate scale with its size; building all of it would not.
BIG_SELECT = "+m2_0"
BASELINE = "dbt run"
CASES = {
    BASELINE: [DBT, "run"],
    "dbt-armor run (in-process)": [*ARMOR, "run"],
    "dbt-armor run --dbt-mode subprocess": [*ARMOR, "run", "--dbt-mode", "subprocess"],
}


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


def _timed(
    argv: list[str], project: Path, env: dict[str, str], extra: tuple[str, ...] = ()
) -> float:
    return _measured(argv, project, env, extra)[0]


def _measured(
    argv: list[str], project: Path, env: dict[str, str], extra: tuple[str, ...] = ()
) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the process and every process it
    waited for (dbt in subprocess mode); the emulator runs in this process and is not counted."""
    dirs = [*extra, "--project-dir", str(project), "--profiles-dir", str(project)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [*argv, *dirs], cwd=project, env=env, capture_output=True, text=True, timeout=1800
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def _fresh(db: Path) -> None:
    import duckdb

    with duckdb.connect(str(db)) as con:
        for table in ("customers", "orders", "payments"):
            con.execute(
                f"update raw.{table} set loaded_at = loaded_at + "
                f"(now()::timestamp - interval 1 hour - (select max(loaded_at) from raw.{table}))"
            )


@contextmanager
def _platform(project: Path, data_sources: tuple[str, ...]) -> Iterator[EmulatorServer]:
    """The emulator over the project's warehouse, told the project's sources."""
    cfg = EmulatorConfig(port=0, warehouse=project / "warehouse.duckdb", seed=1)
    server = EmulatorServer(cfg).start()
    try:
        manifest = json.loads((project / "target" / "manifest.json").read_text())
        for ds in data_sources:
            httpx.post(
                f"{server.url}/_emulator/manifest?data_source={ds}", json=manifest, timeout=60
            ).raise_for_status()
        yield server
    finally:
        server.stop()


def _latency(server: EmulatorServer, ms: int) -> None:
    httpx.delete(f"{server.url}/_emulator/faults", timeout=10).raise_for_status()
    if ms:
        spec = {"match": "* /api/v1/*", "latency_ms": ms, "count": 0}
        httpx.post(f"{server.url}/_emulator/faults", json=spec, timeout=10).raise_for_status()


def _rounds(
    project: Path,
    env: dict[str, str],
    rounds: int,
    on_armor: Callable[[str], None],
    extra: tuple[str, ...],
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU times per case; round r starts with case r (mod 3) so no case always goes
    first. One unmeasured round first leaves partial parsing and the gate cache as a user has
    them."""
    names = list(CASES)
    for case in names:
        _timed(CASES[case], project, env, extra)
    times: dict[str, list[float]] = {c: [] for c in names}
    cpu: dict[str, list[float]] = {c: [] for c in names}
    for r in range(rounds):
        for case in names[r % 3 :] + names[: r % 3]:
            wall, used = _measured(CASES[case], project, env, extra)
            times[case].append(wall)
            cpu[case].append(used)
            if case != BASELINE:
                on_armor(case)
    return times, cpu


def _rows(
    scenario: str, times: dict[str, list[float]], cpu: dict[str, list[float]], note: str
) -> list[dict[str, Any]]:
    base = times[BASELINE]
    b = statistics.median(base)
    cpu_base = statistics.median(cpu[BASELINE])
    rows = []
    for case, values in times.items():
        ratios = [v / w for v, w in zip(values, base, strict=True)]
        spread = f"{len(values)} rounds, {min(values):.2f}-{max(values):.2f} s"
        used = statistics.median(cpu[case])
        spread += f"; CPU median {used:.2f} s" + (
            f" (ratio {used / cpu_base:.2f})" if case != BASELINE and cpu_base else ""
        )
        if case != BASELINE:
            spread += (
                f"; per-round ratio median {statistics.median(ratios):.2f} "
                f"({min(ratios):.2f}-{max(ratios):.2f})"
            )
        rows.append(
            {
                "benchmark": NAME,
                "case": f"{scenario}: {case}",
                "value": round(statistics.median(values), 3),
                "unit": "s",
                "baseline": round(b, 3),
                "ratio": round(statistics.median(values) / b, 3),
                "note": f"{spread}; {note}",
            }
        )
    return rows


def _load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load avg {one:.1f}/{five:.1f} (1/5 min, {os.cpu_count()} cores)"


def _scenario(
    scenario: str,
    project: Path,
    server: EmulatorServer,
    latency_ms: int,
    rounds: int,
    extra: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    _latency(server, latency_ms)
    env = _env(server.api_url)
    phases: dict[str, list[float]] = {}

    def phase(case: str) -> None:
        if "in-process" in case:
            gate = json.loads((project / "target" / "armor_gate.json").read_text())
            for key, secs in gate.get("timings", {}).items():
                phases.setdefault(key, []).append(float(secs))

    before = _load_note()
    times, cpu = _rounds(project, env, rounds, phase, extra)
    rows = _rows(scenario, times, cpu, f"{before} before, {_load_note()} after")
    for row in rows:  # as it comes: a long run shows its progress
        print(f"   {row['case']}: {row['value']} s (ratio {row['ratio']})", file=sys.stderr)
    for key, secs in sorted(phases.items()):
        rows.append(
            {
                "benchmark": NAME,
                "case": f"{scenario}: in-process phase {key}",
                "value": round(statistics.median(secs), 3),
                "unit": "s",
            }
        )
    return rows


def _integration(tmp: Path, rounds: int) -> list[dict[str, Any]]:
    project = _copy(tmp / "shop")
    env = _env("http://127.0.0.1:9/api/v1")
    for step in (["deps"], ["seed"], ["run"]):  # build once so every case reruns the same
        _timed([DBT, *step], project, env)
    _fresh(project / "warehouse.duckdb")
    rows: list[dict[str, Any]] = []
    with _platform(project, ("warehouse", "crm")) as server:
        for label, ms in (("loopback", 0), ("150 ms latency", 150)):
            rows += _scenario(f"integration_project, {label}", project, server, ms, rounds)
    return rows


def _big(tmp: Path, models: int, rounds: int) -> list[dict[str, Any]]:
    project = generate(tmp / "big", models, REPO)
    load(project / "warehouse.duckdb")
    env = _env("http://127.0.0.1:9/api/v1")
    _timed([DBT, "deps"], project, env)
    first = _timed([DBT, "parse"], project, env)  # the manifest the emulator is told
    with _platform(project, ("warehouse",)) as server:
        scenario = f"generated {models} models, --select {BIG_SELECT}, 150 ms latency"
        rows = _scenario(scenario, project, server, 150, rounds, ("--select", BIG_SELECT))
    for row in rows:
        if row.get("note"):
            row["note"] += f"; first (full) dbt parse of the {models} models {first:.0f} s"
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    rounds = 3 if quick else 11
    with TemporaryDirectory(prefix="armor-wrapper-bench-") as tmp:
        rows = _integration(Path(tmp), rounds)
        rows += _big(Path(tmp), 200 if quick else 1000, 2 if quick else 11)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
