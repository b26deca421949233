"""``--deadline`` bounds the whole process: with every read answered after 45 s, ``gate
--deadline 5`` exits within 6 s (requests in flight are abandoned), and says why."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gate_project import control

from dbt_armor.emulator import EmulatorServer

FIXTURE = Path(__file__).parents[1] / "fixtures" / "manifests" / "integration_v12.json"


@pytest.mark.parametrize(("on_api_error", "code"), [("open", 0), ("fail", 4)])
def test_deadline_bounds_the_process(
    tmp_path: Path, emulator: EmulatorServer, api_key: str, on_api_error: str, code: int
) -> None:
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text('data_sources:\n  "*": warehouse\n')
    control(emulator, "faults", {"match": "GET /api/v1/*", "latency_ms": 45000, "count": 0})
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ARMOR_API_KEY": api_key,
        "ARMOR_API_URL": emulator.api_url,
    }
    argv = [sys.executable, "-m", "dbt_armor", "gate", "--manifest"]
    argv += [str(tmp_path / "target" / "manifest.json"), "--project-dir", str(tmp_path)]
    argv += ["--deadline", "5", "--on-api-error", on_api_error]
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == code, done.stdout + done.stderr
    assert "did not answer within the gate deadline" in " ".join(done.stdout.split())
    print(f"gate --deadline 5 --on-api-error {on_api_error}: exit {code} after {elapsed:.2f} s")
    assert elapsed < 6.0, f"exited after {elapsed:.1f} s"  # the deadline counts from start
