"""Copies of integration_project for e2e tests, and running the venv's dbt on them.

Owns copying the project to a temp dir (never writing into the repository); asserts nothing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from legacy_project import adapt_project

from dbt_armor.dbt.invoker import dbt_core_available
from dbt_armor.dbt.version import executable_version

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_PROJECT = REPO_ROOT / "integration_project"
_SIBLING_DBT = Path(sys.executable).with_name("dbt")
# dbt from this virtualenv, or (the "dbt outside our environment" cell) the one on PATH
DBT_EXECUTABLE = str(_SIBLING_DBT) if _SIBLING_DBT.is_file() else (shutil.which("dbt") or "dbt")
_IGNORED = shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb", "__pycache__")
_DROPPED_ENV = ("ARMOR_API_KEY", "DBT_TARGET_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR")


def process_alive(pid: int) -> bool:
    """True while a process with this id exists (a dbt child the tests expect gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def process_gone(pid: int, within: float) -> bool:
    """Wait up to ``within`` seconds for the process to disappear; True once it has."""
    deadline = time.monotonic() + within
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not process_alive(pid)


@dataclass(frozen=True)
class DbtProject:
    """A copy of integration_project with its own DuckDB warehouse."""

    path: Path
    profiles_dir: Path
    db_path: Path

    @property
    def manifest_path(self) -> Path:
        return self.path / "target" / "manifest.json"

    @property
    def log_path(self) -> Path:
        return self.path / "logs" / "dbt.log"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for dbt: no API key, no inherited results, offline, this warehouse."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in _DROPPED_ENV and not k.startswith("DBT_ARMOR_RESULTS")
        }
        env.update(
            ARMOR_DUCKDB_PATH=str(self.db_path),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            DO_NOT_TRACK="1",
        )
        env.update(extra or {})
        return env

    def dbt(
        self, *args: str, env: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's dbt in the project directory and capture its output."""
        done = subprocess.run(
            [DBT_EXECUTABLE, *args, "--profiles-dir", str(self.profiles_dir)],
            cwd=self.path,
            env=self.env(env),
            capture_output=True,
            text=True,
            check=False,
            timeout=240,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"dbt {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def clone(self, dest: Path) -> DbtProject:
        """A full copy (target/, packages, warehouse) for a test that changes things.

        dbt_packages/dbt_armor is a symlink to the repository: copy it as a link, never follow
        it (following it copies the repository, whose integration_project links back again).
        """
        shutil.copytree(self.path, dest, symlinks=True, ignore=shutil.ignore_patterns("logs"))
        return _configure(dest)


def _configure(path: Path) -> DbtProject:
    """Point packages.yml at the repository and the profile at this copy's warehouse file."""
    db_path = path / "warehouse.duckdb"
    packages = path / "packages.yml"
    packages.write_text(
        re.sub(r"local:\s*\.\.\s*$", f"local: {REPO_ROOT}", packages.read_text(), flags=re.M)
    )
    profiles = path / "profiles.yml"
    profiles.write_text(
        re.sub(r"^(\s+path:\s*).*$", rf'\g<1>"{db_path}"', profiles.read_text(), flags=re.M)
    )
    return DbtProject(path=path, profiles_dir=path, db_path=db_path)


@functools.cache
def dbt_minor() -> tuple[int, int]:
    """(major, minor) of the dbt the tests run: this environment's dbt-core, or what the
    executable on PATH reports (its update check kept off the network)."""
    if dbt_core_available() and Path(DBT_EXECUTABLE) == _SIBLING_DBT:
        major, minor = metadata.version("dbt-core").split(".")[:2]
        return int(major), int(minor)
    offline = {
        **os.environ,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    found = executable_version(DBT_EXECUTABLE, env=offline)
    if found is None:
        raise RuntimeError(f"cannot tell the version of {DBT_EXECUTABLE}: is dbt installed?")
    return found.minor


def copy_project(dest: Path) -> DbtProject:
    """Copy integration_project (sources only) to ``dest``, in the YAML the dbt under test
    parses, and configure it."""
    shutil.copytree(SOURCE_PROJECT, dest, ignore=_IGNORED)
    adapt_project(dest, dbt_minor())
    return _configure(dest)
