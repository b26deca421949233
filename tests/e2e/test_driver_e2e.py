"""End to end: ``dbt-armor run --dbt-mode subprocess`` through the driver on a copy of
integration_project with real dbt: one dbt process, and nothing built without a verdict.

dbt logs in JSON (DBT_LOG_FORMAT_FILE), whose every line carries the process id: the number
of dbt processes a command started is the number of distinct ids in logs/dbt.log.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from project_copy import DbtProject, process_alive, process_gone
from shop import MODELS, Shop, explain, open_shop

from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e

SUBPROCESS = ("--dbt-mode", "subprocess")
JSON_LOG = {"DBT_LOG_FORMAT_FILE": "json"}
PROBE_MODEL = """{{ config(materialized='table') }}
select '{{ env_var("ARMOR_API_KEY", "absent") }}' as api_key,
       '{{ env_var("DBT_ARMOR_RESULTS", "none")[:11] }}' as results_head
"""


@pytest.fixture(scope="module")
def shop(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    project = dbt_project.clone(tmp_path_factory.mktemp("driver") / "shop")
    with open_shop(project, seed=7, env={"ARMOR_TIMEOUT": "2"}) as shop:
        yield shop


def _fresh_log(shop: Shop) -> Path:
    log = shop.project.log_path
    log.unlink(missing_ok=True)
    return log


def _dbt_pids(log: Path) -> set[int]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return {int(line["info"]["pid"]) for line in lines}


def test_a_passing_gate_builds_in_one_dbt_process(shop: Shop) -> None:
    probe = shop.project.path / "models" / "armor_env_probe.sql"
    probe.write_text(PROBE_MODEL)
    try:
        shop.ages()
        shop.drop_models()
        log = _fresh_log(shop)
        done = shop.armor("run", *SUBPROCESS, env=JSON_LOG)
        assert done.returncode == 0, explain(done)
        assert shop.built() == set(MODELS)
        assert len(_dbt_pids(log)) == 1  # parse, ls and run in one dbt process
        gate = json.loads((shop.target_dir / "armor_gate.json").read_text())
        assert gate["decision"] == "pass" and gate["exit_code"] == 0
        # the run saw the gate results but neither the API key nor anything holding it
        sql = next((shop.target_dir / "compiled").rglob("armor_env_probe.sql")).read_text()
        assert "'absent' as api_key" in sql and """'{"blocked_n' as results_head""" in sql
        # the same command with the driver off: one dbt process per step, as before
        log = _fresh_log(shop)
        done = shop.armor("run", *SUBPROCESS, env={**JSON_LOG, "ARMOR_DBT_DRIVER": "off"})
        assert done.returncode == 0, explain(done)
        assert len(_dbt_pids(log)) >= 2
    finally:
        probe.unlink()


def test_a_blocked_gate_runs_nothing_and_leaves_no_dbt_behind(shop: Shop) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    run_results = shop.target_dir / "run_results.json"
    run_results.unlink(missing_ok=True)
    log = _fresh_log(shop)
    done = shop.armor("run", *SUBPROCESS, env=JSON_LOG)
    assert done.returncode == 3, explain(done)
    assert shop.built() == set() and not run_results.exists()
    assert (
        "model.armor_shop.fct_orders" in json.loads(shop.project.manifest_path.read_text())["nodes"]
    )  # the driver's parse wrote it
    (pid,) = _dbt_pids(log)
    assert not process_alive(pid)  # stopped and reaped before dbt-armor exited


def test_platform_down_fails_closed_and_reaps_dbt(shop: Shop) -> None:
    shop.ages()
    shop.drop_models()
    log = _fresh_log(shop)
    done = shop.armor(
        "run", *SUBPROCESS, "--deadline", "2", api_url="http://127.0.0.1:9/api/v1", env=JSON_LOG
    )
    assert done.returncode == 4, explain(done)
    assert shop.built() == set()
    (pid,) = _dbt_pids(log)  # dbt parsed while the platform reads failed
    assert not process_alive(pid)


def test_a_failing_model_exits_1_and_json_keeps_stdout_pure(shop: Shop) -> None:
    shop.ages()
    broken = shop.project.path / "models" / "armor_broken.sql"
    broken.write_text("select * from no_such_table\n")
    try:
        done = shop.armor("run", *SUBPROCESS, "--select", "armor_broken", "--format", "json")
    finally:
        broken.unlink()
    assert done.returncode == 1, explain(done)
    report = json.loads(done.stdout)  # nothing but our JSON on stdout
    assert report["decision"] == "pass"
    assert "armor_broken" in done.stderr  # dbt's own output went to stderr
    assert DEFAULT_READWRITE_KEY not in done.stdout + done.stderr


def test_a_killed_parent_leaves_a_driver_that_builds_nothing(shop: Shop) -> None:
    """Real dbt: the driver has parsed and waits for the verdict; its parent is killed."""
    shop.drop_models()
    run_results = shop.target_dir / "run_results.json"
    run_results.unlink(missing_ok=True)
    code = (
        "import time\n"
        "from dbt_armor.dbt import make_invoker\n"
        "inv = make_invoker(mode='subprocess')\n"
        f"inv.parse(['--project-dir', {str(shop.project.path)!r}, '--profiles-dir', "
        f"{str(shop.project.profiles_dir)!r}])\n"
        "print(inv.child.proc.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    env = shop.project.env({"ARMOR_API_KEY": DEFAULT_READWRITE_KEY})
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env,
        cwd=shop.project.path,
    )  # fmt: skip
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert process_gone(child, within=30)
    assert shop.built() == set() and not run_results.exists()


def test_a_parse_failure_reads_as_without_the_driver(shop: Shop) -> None:
    broken = shop.project.path / "models" / "zz_broken.yml"
    broken.write_text("version: 2\nmodels:\n  - name: [unclosed\n")
    try:
        driven = shop.armor("run", *SUBPROCESS)
        per_step = shop.armor("run", *SUBPROCESS, env={"ARMOR_DBT_DRIVER": "off"})
    finally:
        broken.unlink()
    assert driven.returncode == per_step.returncode == 2, explain(driven)
    assert "dbt-armor: error: dbt parse failed (exit 2): " in driven.stderr
    assert "did not find expected ',' or ']'" in driven.stderr
    clock = re.compile(r"\d\d:\d\d:\d\d(\.\d+)?")  # dbt's log lines carry the time
    assert clock.sub("T", driven.stderr) == clock.sub("T", per_step.stderr)  # word for word


def test_an_error_after_the_parse_stops_and_reaps_dbt(shop: Shop) -> None:
    """A bad --policy value is found after dbt parsed: usage error, dbt stopped, no build."""
    shop.ages()
    shop.drop_models()
    log = _fresh_log(shop)
    done = shop.armor("run", *SUBPROCESS, "--policy", "stale=bogus", env=JSON_LOG)
    assert done.returncode == 2, explain(done)
    assert "stale='bogus' is not valid" in done.stderr and "Traceback" not in done.stderr
    (pid,) = _dbt_pids(log)
    assert not process_alive(pid)
    assert shop.built() == set()
