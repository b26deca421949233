"""The support matrix: one virtualenv per (Python, dbt-core) cell, each installed from the
package registries and running the unit tests and the e2e gate/sync/macro tests; prints a
table cell x result x wall time and exits 1 if any cell failed. Standard library only.

Python 3.11 with dbt-core 1.11 is the main cell, which `make test` covers in .venv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UNIT = ("tests/unit", "tests/client")
# the e2e gate/sync/macro flow, on a minimal subset: a blocked gate's results stop a plain
# `dbt run`, pre-hooks fail only affected models, missing results follow the var, the wrapper
# passes / blocks / skips, synced rules catch a bad row
_MACROS = "tests/e2e/test_macros.py::"
E2E = (
    _MACROS + "test_on_run_start_refuses_the_whole_run",
    _MACROS + "test_on_run_start_only_considers_selected_nodes",
    _MACROS + "test_stale_source_fails_its_models_and_skips_children",
    _MACROS + "test_fresh_chunked_results_build_everything_and_reach_models",
    _MACROS + "test_missing_results_follow_the_var",
    "tests/e2e/test_sync_e2e.py",
    "tests/e2e/test_wrapper.py::test_fresh_sources_run_dbt",
    "tests/e2e/test_wrapper.py::test_stale_source_blocks_and_builds_nothing",
    "tests/e2e/test_wrapper.py::test_skip_mode_builds_only_unaffected_models",
)
IN_PROCESS = ("tests/e2e/test_selection.py", "tests/e2e/test_manifest_from_memory.py")
# subprocess mode drives each dbt minor's own dbtRunner (dbt_armor/dbt/driver.py)
DRIVER = ("tests/e2e/test_driver_e2e.py",)
# the commands that broke on Python 3.10 (ci, lineage publish after a run), and the warehouse
PY_EXTRA = (
    "tests/integration/test_ci_pr.py::test_ci_report_on_a_real_pr",
    "tests/integration/test_lineage_run.py",
    "tests/emulator/test_warehouse.py",
)

# a ratio of import times: the main cell (`make test`) checks it; under the matrix's parallel
# cells it measures the machine's load, not the code
TIMING = ("tests/unit/test_import.py::test_import_costs_a_fraction_of_one_http_library",)


def _dbt(core: str, duckdb: str) -> tuple[str, ...]:
    return (f"dbt-core=={core}", f"dbt-duckdb=={duckdb}")


@dataclass(frozen=True)
class Cell:
    """A virtualenv: its Python minor, what dbt it installs, the tests it runs."""

    name: str
    python: str
    dbt: tuple[str, ...]  # requirements; empty: no dbt-core in this environment
    tests: tuple[str, ...]
    constraints: bool = False  # install with constraints.txt (the dbt-core 1.11 pins)
    dbt_from: str | None = None  # a cell whose `dbt` goes first on PATH


CELLS = (
    Cell("py3.10-dbt1.11", "3.10", ("dbt-duckdb",), UNIT + E2E + PY_EXTRA, True),
    Cell("py3.12-dbt1.11", "3.12", ("dbt-duckdb",), UNIT + E2E + PY_EXTRA, True),
    Cell("py3.13-dbt1.11", "3.13", ("dbt-duckdb",), UNIT + E2E + PY_EXTRA, True),
    Cell("py3.11-dbt1.8", "3.11", _dbt("1.8.10", "1.8.4"), UNIT + E2E + IN_PROCESS + DRIVER),
    Cell("py3.11-dbt1.9", "3.11", _dbt("1.9.11", "1.9.6"), UNIT + E2E + IN_PROCESS + DRIVER),
    Cell("py3.11-dbt1.10", "3.11", _dbt("1.10.23", "1.10.1"), UNIT + E2E + IN_PROCESS + DRIVER),
    Cell(
        "py3.11-dbt-outside",
        "3.11",
        (),
        (
            "tests/unit/test_dbt_version.py",
            "tests/unit/dbt/test_driver.py",
            "tests/e2e/test_outside_env.py",
            "tests/e2e/test_driver_e2e.py",
            *E2E,
        ),
        dbt_from="py3.13-dbt1.11",
    ),
)


@dataclass
class Outcome:
    cell: Cell
    result: str = "pending"
    detail: str = ""
    install_s: float = 0.0
    tests_s: float = 0.0
    log: list[str] = field(default_factory=list)


def find_python(minor: str) -> str | None:
    """The newest pyenv interpreter for ``minor`` (e.g. 3.10.13), else python3.X on PATH."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        root = done.stdout.strip() or root
    found = sorted(
        (p for p in Path(root, "versions").glob(f"{minor}.*") if (p / "bin" / "python").is_file()),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.name.split(".")],
    )
    return str(found[-1] / "bin" / "python") if found else shutil.which(f"python{minor}")


def _run(argv: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(argv)}\n")
        fh.flush()
        done = subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, env=env)
    return done.returncode


def _declared_requirements() -> object:
    """What pyproject.toml asks pip to install: a venv is rebuilt when that changes."""
    text = (REPO / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python 3.10 runs the script: any change to the file counts
        return text
    project = tomllib.loads(text)["project"]
    return [project.get(k) for k in ("requires-python", "dependencies", "optional-dependencies")]


def install(cell: Cell, root: Path) -> Outcome:
    """Create (or reuse, when nothing it depends on changed) the cell's virtualenv."""
    out = Outcome(cell)
    venv, log = root / cell.name, root / f"{cell.name}.log"
    log.write_text("")
    started = time.monotonic()
    python = find_python(cell.python)
    if python is None:
        out.result, out.detail = "fail", f"no Python {cell.python} interpreter (pyenv install)"
        return out
    extras = "core,duckdb,dev" if cell.dbt else "duckdb,dev"
    reqs = ["-e", f".[{extras}]", *cell.dbt]
    if cell.constraints:
        reqs = ["-c", "constraints.txt", *reqs]
    stamp = hashlib.sha256(
        json.dumps([python, reqs, _declared_requirements()]).encode()
        + (REPO / "constraints.txt").read_bytes()
    ).hexdigest()
    stamp_file = venv / ".matrix-stamp"
    if not (stamp_file.is_file() and stamp_file.read_text() == stamp):
        shutil.rmtree(venv, ignore_errors=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        steps = [
            [python, "-m", "venv", str(venv)],
            [*pip, "--upgrade", "pip"],
            [*pip, "--config-settings", "editable_mode=compat", *reqs],
        ]
        for argv in steps:
            if _run(argv, log) != 0:
                out.result, out.detail = "fail", f"install failed: {' '.join(argv[-3:])}"
                out.install_s = time.monotonic() - started
                return out
        stamp_file.write_text(stamp)
    out.install_s = time.monotonic() - started
    out.result = "installed"
    return out


def run_tests(out: Outcome, root: Path) -> Outcome:
    """The cell's tests with its own Python; dbt from another cell first on PATH if asked."""
    cell = out.cell
    venv, log = root / cell.name, root / f"{cell.name}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "DBT_"))}
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1", PYTHONDONTWRITEBYTECODE="1"
    )
    if cell.dbt_from is not None:
        links = root / f"{cell.name}-path"
        shutil.rmtree(links, ignore_errors=True)
        links.mkdir()
        (links / "dbt").symlink_to(root / cell.dbt_from / "bin" / "dbt")
        env["PATH"] = f"{links}{os.pathsep}{env.get('PATH', '')}"
        env["ARMOR_MATRIX_DBT_ELSEWHERE"] = "1"  # its tests must run here, not skip
    # cells run side by side: a test gets 15 minutes, not pyproject's 5
    argv = [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-m", "not slow", "--timeout=900"]
    argv += ["-p", "no:cacheprovider", f"--basetemp={root / (cell.name + '-tmp')}", *cell.tests]
    argv += [f"--deselect={test}" for test in TIMING]
    started = time.monotonic()
    code = _run(argv, log, env)
    out.tests_s = time.monotonic() - started
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    out.detail = lines[-1].strip("= ") if lines else "no output"
    out.result = "pass" if code == 0 else "fail"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", help="comma-separated cell names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="cells installed/tested at once")
    parser.add_argument("--root", type=Path, default=REPO / ".matrix", help="where venvs live")
    parser.add_argument("--list", action="store_true", help="print the cells and exit")
    parser.add_argument("--install-only", action="store_true", help="build the venvs, no tests")
    parser.add_argument(
        "--e2e-only", action="store_true", help="skip the unit tests (a loaded machine)"
    )
    parser.add_argument("--only", action="append", help="run only this test id (repeatable)")
    args = parser.parse_args(argv)
    if args.list:
        for cell in CELLS:
            print(
                f"{cell.name:20} python {cell.python:5} {' '.join(cell.dbt) or '(dbt elsewhere)'}"
            )
        return 0
    wanted = set(args.cells.split(",")) if args.cells else {c.name for c in CELLS}
    unknown = wanted - {c.name for c in CELLS}
    if unknown:
        print(f"unknown cell(s): {', '.join(sorted(unknown))}; see --list", file=sys.stderr)
        return 2
    cells = [c for c in CELLS if c.name in wanted]
    if args.only:
        cells = [replace(c, tests=tuple(args.only)) for c in cells]
    if args.e2e_only:
        cells = [replace(c, tests=tuple(t for t in c.tests if t not in UNIT)) for c in cells]
    needed = cells + [c for c in CELLS if c.name not in wanted and _feeds(c, cells)]
    args.root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        installed = {o.cell.name: o for o in pool.map(lambda c: install(c, args.root), needed)}
        ready = [installed[c.name] for c in cells if _ready(c, installed)]
        if args.install_only:
            ready = []
            for out in installed.values():
                out.result = "pass" if out.result == "installed" else out.result
        outcomes = {o.cell.name: o for o in pool.map(lambda o: run_tests(o, args.root), ready)}
    results = [outcomes.get(c.name) or _blocked(installed[c.name]) for c in cells]
    print_table(results, time.monotonic() - started, args.root)
    return 0 if all(o.result == "pass" for o in results) else 1


def _feeds(cell: Cell, cells: list[Cell]) -> bool:
    return any(c.dbt_from == cell.name for c in cells)


def _ready(cell: Cell, installed: dict[str, Outcome]) -> bool:
    mine = installed[cell.name].result == "installed"
    return mine and (cell.dbt_from is None or installed[cell.dbt_from].result == "installed")


def _blocked(out: Outcome) -> Outcome:
    if out.result == "installed":
        out.result, out.detail = "fail", f"its dbt ({out.cell.dbt_from}) did not install"
    return out


def print_table(results: list[Outcome], total: float, root: Path) -> None:
    for out in results:
        if out.result != "pass":
            log = root / f"{out.cell.name}.log"
            tail = log.read_text().splitlines()[-40:] if log.is_file() else []
            print(f"\n--- {out.cell.name}: last lines of {log}", *tail, sep="\n")
    print("\n| cell | Python | dbt | result | install | tests | summary |")
    print("|---|---|---|---|---|---|---|")
    for out in results:
        cell = out.cell
        dbt = " ".join(cell.dbt) if cell.dbt != ("dbt-duckdb",) else "constraints.txt (1.11)"
        dbt = dbt or f"none here; dbt on PATH from {cell.dbt_from}"
        print(
            f"| {cell.name} | {cell.python} | {dbt} | {out.result} | {out.install_s:.0f}s"
            f" | {out.tests_s:.0f}s | {out.detail} |"
        )
    passed = sum(o.result == "pass" for o in results)
    print(f"\nmatrix: {passed} of {len(results)} cells passed in {total / 60:.1f} min")


if __name__ == "__main__":
    sys.exit(main())
