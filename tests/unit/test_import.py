"""``import dbt_armor`` is cheap and side-effect free (dbt imports every dbt_* module), and dbt
still parses a project with dbt-armor installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("httpx", "pydantic", "rich", "dbt", "duckdb", "msgspec", "yaml", "click")


def _cumulative_us(code: str, modules: tuple[str, ...]) -> dict[str, int]:
    """Python's own import clock (-X importtime) for each top-level module ``code`` imports:
    the microseconds of it and all it imported first, in one fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], check=True, capture_output=True, text=True
    )
    found: dict[str, int] = {}
    for line in done.stderr.splitlines():
        _, _, rest = line.partition(":")
        fields = [f.strip() for f in rest.split("|")]
        if len(fields) == 3 and fields[2] in modules:
            found[fields[2]] = int(fields[1])
    return found


def test_import_costs_a_fraction_of_one_http_library() -> None:
    """A ratio in one interpreter, so a loaded machine slows both sides alike: importing
    dbt_armor (typing and all it needs) costs less than half of importing httpx afterwards
    (which dbt_armor must not import; it takes several times as long)."""
    best: dict[str, int] = {}
    for _ in range(3):
        found = _cumulative_us("import dbt_armor, httpx", ("dbt_armor", "httpx"))
        assert set(found) == {"dbt_armor", "httpx"}, found
        best = {k: min(v, best.get(k, v)) for k, v in found.items()}
    ratio = best["dbt_armor"] / best["httpx"]
    assert ratio < 0.5, f"import dbt_armor costs {ratio:.2f}x import httpx ({best})"


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
