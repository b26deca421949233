"""dbt outside our environment, as a pipx user has it: dbt-armor installed without dbt-core and
``dbt`` from another virtualenv on PATH. The support matrix's outside cell runs these (and the
wrapper and macro tests, which then run dbt as a subprocess); elsewhere they are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dbt_armor.dbt.invoker import dbt_core_available

pytestmark = pytest.mark.e2e

# The matrix sets this in the outside cell, where a skip would hide a broken configuration.
IN_OUTSIDE_CELL = os.environ.get("ARMOR_MATRIX_DBT_ELSEWHERE") == "1"
if dbt_core_available() and not IN_OUTSIDE_CELL:
    pytest.skip("dbt-core is installed in this environment", allow_module_level=True)

# dbt --version asks the package index for the latest release: send that to a dead proxy,
# and everything on loopback (the emulator) around it
OFFLINE = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
}


def _installed(dbt: str, dist: str) -> str:
    """The version of ``dist`` in the environment of the ``dbt`` script (its shebang's Python)."""
    python = Path(dbt).resolve().read_text().splitlines()[0].removeprefix("#!").strip()
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_dbt_core_is_not_installed_here() -> None:
    assert not dbt_core_available()
    assert shutil.which("dbt") is not None, "the outside cell puts another venv's dbt on PATH"


def test_doctor_names_the_version_of_the_dbt_on_path(emulator: Any, api_key: str) -> None:
    dbt = shutil.which("dbt")
    assert dbt is not None
    env = {**os.environ, **OFFLINE, "ARMOR_API_KEY": api_key, "ARMOR_API_URL": emulator.api_url}
    done = subprocess.run(
        [sys.executable, "-m", "dbt_armor", "doctor", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    engine = json.loads(done.stdout)["dbt"]
    core, duckdb = _installed(dbt, "dbt-core"), _installed(dbt, "dbt-duckdb")
    assert engine == {
        "engine": f"{dbt}: dbt-core {core}; duckdb {duckdb} "
        "(subprocess, one process through the driver)",
        "ok": "yes",
    }


def test_subprocess_mode_drives_the_other_environments_dbt() -> None:
    """dbt's own Python (another venv, another minor) runs the driver: one dbt process."""
    from dbt_armor.dbt import make_invoker
    from dbt_armor.dbt.driven import DriverInvoker

    dbt = shutil.which("dbt")
    assert dbt is not None
    invoker = make_invoker()
    assert isinstance(invoker, DriverInvoker)
    python = Path(dbt).resolve().read_text().splitlines()[0].removeprefix("#!").strip()
    assert invoker.python == [python] and python != sys.executable
    child = invoker._connect()
    assert child is not None and invoker.driven is True
    invoker.close()
    assert child.proc.returncode is not None
