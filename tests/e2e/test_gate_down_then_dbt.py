"""After a gate that could not reach the platform (on_api_error fail, exit 4), a plain
``dbt run`` with the results it emitted (--emit-env) is stopped: by gate_on_run_start, and,
where a project has no on-run-start hook, by the require_fresh pre-hook of fct_orders.

Real dbt on a clone of integration_project; the gate itself runs on the clone's manifest.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from project_copy import DbtProject

from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api/v1"


def _emitted(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        out[name] = shlex.split(value)[0]
    return out


def test_a_plain_dbt_run_after_a_platform_down_gate_is_stopped(
    dbt_project: DbtProject, tmp_path: Path
) -> None:
    project = dbt_project.clone(tmp_path / "shop")
    env_file = tmp_path / "armor.env"
    gate_env = project.env({"ARMOR_API_KEY": DEFAULT_READWRITE_KEY, "ARMOR_API_URL": _closed_url()})
    gate_env |= {"ARMOR_TIMEOUT": "2"}
    argv = [sys.executable, "-m", "dbt_armor", "gate", "--manifest", str(project.manifest_path)]
    argv += ["--project-dir", str(project.path), "--profiles-dir", str(project.path)]
    argv += ["--deadline", "2", "--emit-env", str(env_file), "--command", "run"]
    gate = subprocess.run(argv, cwd=project.path, env=gate_env, capture_output=True, text=True)
    assert gate.returncode == 4, gate.stdout + gate.stderr
    assert "pass" not in gate.stdout.splitlines()[-1]
    results = _emitted(env_file)
    payload = json.loads(results["DBT_ARMOR_RESULTS"])
    assert payload["outcome"] == "unavailable" and payload["sources"]

    hooked = project.dbt("run", "-s", "fct_orders", env=results, check=False)
    assert hooked.returncode != 0, hooked.stdout
    assert "cannot run: the gate could not ask the platform" in hooked.stdout

    dbt_project_yml = project.path / "dbt_project.yml"
    text = dbt_project_yml.read_text()
    assert "on-run-start" in text
    dbt_project_yml.write_text(
        "\n".join(line for line in text.splitlines() if "on-run-start" not in line) + "\n"
    )
    plain = project.dbt("run", "-s", "fct_orders", env=results, check=False)
    assert plain.returncode == 1, plain.stdout
    assert "model.armor_shop.fct_orders cannot run" in plain.stdout
    run_results = json.loads((project.path / "target" / "run_results.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in run_results["results"]}
    models = {k: v for k, v in statuses.items() if k.startswith("model.")}
    assert models == {"model.armor_shop.fct_orders": "error"}
