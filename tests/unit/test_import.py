"""``import dbt_armor`` is cheap and side-effect free (dbt imports every dbt_* module), and dbt
still parses a project with dbt-armor installed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

HEAVY = ("httpx", "pydantic", "rich", "dbt", "duckdb", "msgspec", "yaml", "click")


def _best_of(code: str, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def test_import_is_fast_compared_to_bare_interpreter() -> None:
    baseline = _best_of("pass")
    with_import = _best_of("import dbt_armor")
    assert with_import - baseline < 0.100, f"import dbt_armor costs {with_import - baseline:.3f}s"


def test_import_pulls_in_no_heavy_module() -> None:
    code = (
        "import sys, dbt_armor\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert dbt_armor.plugins == []\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == ""


def test_dbt_armor_is_discoverable_as_a_dbt_module() -> None:
    code = (
        "import pkgutil; "
        "print([m.name for m in pkgutil.iter_modules() if m.name.startswith('dbt_')])"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "'dbt_armor'" in out.stdout


@pytest.mark.e2e
def test_dbt_parse_works_with_dbt_armor_installed(tmp_path: Path) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    if not dbt.exists():
        pytest.skip("dbt is not installed in this environment")
    project = tmp_path / "proj"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: tiny\nmodel-paths: [models]\n"
    )
    (project / "models" / "one.sql").write_text("select 1 as id\n")
    (project / "profiles.yml").write_text(
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {tmp_path / 'tiny.duckdb'}\n"
    )
    result = subprocess.run(
        [str(dbt), "parse", "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": str(dbt.parent),
            "HOME": str(tmp_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (project / "target" / "manifest.json").is_file()
