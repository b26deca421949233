"""Reading the dbt version from ``dbt --version`` output (dbt-core 1.8-1.11 and the v2 engine)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dbt_armor.cli.doctor import subprocess_engine
from dbt_armor.dbt.version import DbtVersion, executable_version, parse_version_output

CORE_111 = """Core:
  - installed: 1.11.16
  - latest:    1.12.6  - Update available!

  Your version of dbt-core is out of date!

Plugins:
  - duckdb:   1.11.1 - Up to date!
  - postgres: 1.9.0  - Update available!
"""

CORE_18_OFFLINE = """Core:
  - installed: 1.8.9

  The latest version of dbt-core could not be determined!
  Make sure that the following URL is accessible:
  https://pypi.org/pypi/dbt-core/json

Plugins:
  - duckdb: 1.8.4 - Could not determine latest version
"""


def test_reads_core_and_plugins() -> None:
    found = parse_version_output(CORE_111)
    assert found == DbtVersion("dbt-core", "1.11.16", {"duckdb": "1.11.1", "postgres": "1.9.0"})
    assert found.minor == (1, 11)
    assert found.describe() == "dbt-core 1.11.16; duckdb 1.11.1, postgres 1.9.0"


def test_the_latest_line_is_not_the_installed_version() -> None:
    text = CORE_111.replace("  - installed: 1.11.16\n", "") + "\n  - installed: 1.10.2\n"
    found = parse_version_output(text)
    assert found is not None and found.version == "1.10.2"


def test_reads_an_offline_old_core() -> None:
    found = parse_version_output(CORE_18_OFFLINE)
    assert found is not None
    assert (found.engine, found.version, found.minor) == ("dbt-core", "1.8.9", (1, 8))
    assert found.plugins == {"duckdb": "1.8.4"}


@pytest.mark.parametrize(
    ("text", "engine", "version"),
    [
        ("dbt-fusion 2.0.0-preview.45\n", "dbt-fusion", "2.0.0-preview.45"),
        ("dbt 2.0.0-rc196\n", "dbt", "2.0.0-rc196"),
    ],
)
def test_reads_other_engines(text: str, engine: str, version: str) -> None:
    found = parse_version_output(text)
    assert found is not None and (found.engine, found.version) == (engine, version)
    assert found.minor == (2, 0)


@pytest.mark.parametrize("text", ["", "Core:\n  - installed: unknown\n", "usage: dbt [OPTIONS]"])
def test_no_version_is_none(text: str) -> None:
    assert parse_version_output(text) is None


def _fake_dbt(tmp_path: Path, output: str, code: int = 0) -> str:
    script = tmp_path / "dbt"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.write({output!r})\nsys.exit({code})\n"
    )
    script.chmod(0o755)
    return str(script)


def test_executable_version_runs_the_executable(tmp_path: Path) -> None:
    found = executable_version(_fake_dbt(tmp_path, CORE_18_OFFLINE))
    assert found is not None and found.version == "1.8.9"
    assert executable_version(str(tmp_path / "missing")) is None


def test_doctor_names_the_version_of_a_dbt_outside_this_environment(tmp_path: Path) -> None:
    exe = _fake_dbt(tmp_path, CORE_18_OFFLINE)
    info = subprocess_engine(exe)
    assert info == {
        "engine": f"{exe}: dbt-core 1.8.9; duckdb 1.8.4 (subprocess, one process per step)",
        "ok": "yes",
    }


def test_doctor_says_whether_dbt_runs_through_the_driver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt-core's console script is driven in one process, unless ARMOR_DBT_DRIVER is off."""
    script = tmp_path / "dbt"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "if False:\n    from dbt.cli.main import cli\n"
        f"sys.stdout.write({CORE_18_OFFLINE!r})\n"
    )
    script.chmod(0o755)
    monkeypatch.delenv("ARMOR_DBT_DRIVER", raising=False)
    assert subprocess_engine(str(script))["engine"].endswith(
        "(subprocess, one process through the driver)"
    )
    monkeypatch.setenv("ARMOR_DBT_DRIVER", "off")
    assert subprocess_engine(str(script))["engine"].endswith("(subprocess, one process per step)")


def test_doctor_says_when_the_version_cannot_be_read(tmp_path: Path) -> None:
    exe = _fake_dbt(tmp_path, "Segmentation fault\n", code=139)
    info = subprocess_engine(exe)
    assert info["ok"] == "no" and "version unknown" in info["engine"]
