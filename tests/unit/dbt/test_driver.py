"""Subprocess mode through the driver, with a stand-in dbt-core on PYTHONPATH: one process for
parse, ls and run; no run without the verdict; a child that cannot import dbt-core falls back.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fake_dbt import FIXTURE, calls, install
from project_copy import process_alive, process_gone

from dbt_armor.dbt import make_invoker
from dbt_armor.dbt.driven import DriverInvoker
from dbt_armor.dbt.external import SubprocessInvoker
from dbt_armor.errors import DbtError

KEY = "armor_test_key_0123456789abcdef"


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, Path]:
    """(dbt console script, project dir, call log) with the fake dbt-core importable."""
    site, script = install(tmp_path / "fake")
    project, log = tmp_path / "project", tmp_path / "calls.jsonl"
    project.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("FAKE_DBT_LOG", str(log))
    monkeypatch.setenv("FAKE_MANIFEST", str(FIXTURE))
    monkeypatch.setenv("ARMOR_API_KEY", KEY)
    monkeypatch.delenv("ARMOR_DBT_DRIVER", raising=False)
    return script, project, log


def test_parse_ls_and_run_happen_in_one_process(fake: tuple[str, Path, Path]) -> None:
    script, project, log = fake
    invoker = make_invoker(executable=script, mode="subprocess")
    assert isinstance(invoker, DriverInvoker)
    argv = ["--select", "+fct_orders", "--project-dir", str(project)]
    path, selection = invoker.select_and_parse(argv, command="run")
    assert path == project / "target" / "manifest.json" and path.is_file()
    assert {str(u) for u in selection.unique_ids} == {"model.armor_shop.stg_orders"}
    code = invoker.run("run", argv, {"DBT_ARMOR_RESULTS": '{"sources": []}'})
    assert code == 0
    recorded = calls(log)
    assert [c["argv"][0] for c in recorded] == ["parse", "ls", "run"]
    assert len({c["pid"] for c in recorded}) == 1  # one dbt process
    assert not any(c.get("script") for c in recorded)  # the console script never ran
    # ls and run reuse the parse's manifest; only the run gets the results; never the key
    parsed = "the-manifest-object"
    assert [c["manifest"] for c in recorded] == [None, parsed, parsed]
    assert [c["results"] for c in recorded] == [None, None, '{"sources": []}']
    assert all(c["key"] is None for c in recorded)
    assert invoker.child is not None and invoker.child.proc.returncode == 0


def test_a_failed_run_returns_dbts_exit_code(
    fake: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, project, _ = fake
    monkeypatch.setenv("FAKE_RUN_FAILS", "1")
    invoker = make_invoker(executable=script, mode="subprocess")
    invoker.parse(["--project-dir", str(project)])
    assert invoker.run("run", ["--project-dir", str(project)], {}) == 1


@pytest.mark.parametrize("how", ["stop", "collected"])
def test_no_verdict_means_no_run(fake: tuple[str, Path, Path], how: str) -> None:
    script, project, log = fake
    invoker = make_invoker(executable=script, mode="subprocess")
    assert isinstance(invoker, DriverInvoker)
    invoker.parse(["--project-dir", str(project)])
    assert invoker.child is not None
    proc = invoker.child.proc
    if how == "stop":
        invoker.write_manifest()  # what the wrapper calls when dbt will not run
    else:
        del invoker
        gc.collect()
    assert proc.returncode is not None  # reaped, not left behind
    assert [c["argv"][0] for c in calls(log)] == ["parse"]


def test_a_dead_parent_runs_nothing(fake: tuple[str, Path, Path], tmp_path: Path) -> None:
    script, project, log = fake
    code = (
        "import sys, time\n"
        "from dbt_armor.dbt import make_invoker\n"
        f"inv = make_invoker(executable={script!r}, mode='subprocess')\n"
        f"inv.parse(['--project-dir', {str(project)!r}])\n"
        "print(inv.child.proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert process_gone(child, within=20)  # not ours to reap: init does, once it exits
    assert [c["argv"][0] for c in calls(log)] == ["parse"]


def test_parse_failure_is_the_same_error_as_before(
    fake: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, project, _ = fake
    monkeypatch.setenv("FAKE_PARSE_FAILS", "1")
    invoker = make_invoker(executable=script, mode="subprocess")
    with pytest.raises(DbtError) as caught:
        invoker.parse(["--project-dir", str(project)])
    assert str(caught.value).startswith("dbt parse failed (exit 2): ")
    assert "models/x.yml is not valid YAML" in str(caught.value)
    assert isinstance(invoker, DriverInvoker) and invoker.child is not None
    assert invoker.child.proc.returncode is not None


def test_dbt_output_goes_to_stderr_for_json(
    fake: tuple[str, Path, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    script, project, _ = fake
    invoker = make_invoker(executable=script, mode="subprocess")
    invoker.parse(["--project-dir", str(project)])
    capfd.readouterr()
    assert invoker.run("run", ["--project-dir", str(project)], {}, stdout_to_stderr=True) == 0
    out, err = capfd.readouterr()
    assert "fake dbt run on stdout" in err and "fake dbt" not in out


def test_the_key_is_refused_in_run_variables(fake: tuple[str, Path, Path]) -> None:
    script, project, log = fake
    invoker = make_invoker(executable=script, mode="subprocess")
    invoker.parse(["--project-dir", str(project)])
    with pytest.raises(DbtError, match="refusing to pass the API key"):
        invoker.run("run", ["--project-dir", str(project)], {"X": KEY})
    assert [c["argv"][0] for c in calls(log)] == ["parse"]


def test_no_dbt_core_1_falls_back_to_one_process_per_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, script = install(tmp_path / "fake", version="2.0.0")
    project, log = tmp_path / "project", tmp_path / "calls.jsonl"
    project.mkdir()
    for name, value in (("PYTHONPATH", str(site)), ("FAKE_DBT_LOG", str(log))):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FAKE_MANIFEST", str(FIXTURE))
    invoker = make_invoker(executable=script, mode="subprocess")
    invoker.parse(["--project-dir", str(project)])
    assert isinstance(invoker, DriverInvoker) and invoker.driven is False
    assert invoker.run("run", ["--project-dir", str(project)], {}) == 0
    recorded = [c for c in calls(log) if c.get("script")]
    assert [c["argv"][0] for c in recorded] == ["parse", "run"]  # the script, twice


def test_off_switch_and_shell_wrappers_keep_the_old_invoker(
    fake: tuple[str, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, project, log = fake
    assert type(make_invoker(executable=script, mode="subprocess", driver=False)) is (
        SubprocessInvoker
    )
    monkeypatch.setenv("ARMOR_DBT_DRIVER", "off")
    assert type(make_invoker(executable=script, mode="subprocess")) is SubprocessInvoker
    monkeypatch.delenv("ARMOR_DBT_DRIVER")
    wrapper = tmp_path / "dbt-wrapper"
    wrapper.write_text(f'#!/bin/sh\nexec {script} "$@"\n')
    wrapper.chmod(0o755)
    invoker = make_invoker(executable=str(wrapper), mode="subprocess")
    assert type(invoker) is SubprocessInvoker
    invoker.parse(["--project-dir", str(project)])
    assert [c["argv"][0] for c in calls(log) if c.get("script")] == ["parse"]


def _parent_running_dbt(script: str, project: Path, started: Path, setup: str = "") -> Any:
    """A parent process (dbt-armor's side) whose dbt run waits until signalled; returns the
    parent and dbt's pid once dbt's run has started."""
    code = (
        f"{setup}\n"
        "from dbt_armor.dbt import make_invoker\n"
        f"inv = make_invoker(executable={script!r}, mode='subprocess')\n"
        f"argv = ['--project-dir', {str(project)!r}]\n"
        "inv.parse(argv)\n"
        "print('dbt exit', inv.run('run', argv, {}), flush=True)\n"
    )
    env = {**os.environ, "FAKE_STARTED_FILE": str(started)}
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return parent, int(started.read_text())


@pytest.mark.parametrize("driver", ["on", "off"])
def test_ctrl_c_reaches_dbt_and_the_parent_returns_its_code(
    fake: tuple[str, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    """Ctrl-C goes to the terminal's process group: dbt stops its run (dbtRunner reports the
    interrupt: exit 2) and the parent, interrupted too, waits for it and returns that code.
    Without the driver, dbt used to be killed 0.25 s after the Ctrl-C (exit -9)."""
    if driver == "off":
        monkeypatch.setenv("ARMOR_DBT_DRIVER", "off")
    script, project, _ = fake
    setup = (  # a background job of a script starts with SIGINT ignored
        "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)"
    )
    parent, child = _parent_running_dbt(script, project, tmp_path / "run-started", setup)
    os.killpg(parent.pid, signal.SIGINT)
    out, _ = parent.communicate(timeout=30)
    # the stand-in console script exits 1 on any failure; dbtRunner in the driver reports 2
    assert f"dbt exit {2 if driver == 'on' else 1}" in out, out
    assert parent.returncode == 0 and not process_alive(child)


@pytest.mark.parametrize("driver", ["on", "off"])
def test_sigterm_to_the_parent_ends_dbt_and_then_the_parent(
    fake: tuple[str, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    """An orchestrator cancelling the task sends SIGTERM to dbt-armor only: dbt gets it too and
    the run does not go on behind the orchestrator's back; dbt-armor then ends by SIGTERM, as
    dbt itself would have."""
    if driver == "off":
        monkeypatch.setenv("ARMOR_DBT_DRIVER", "off")
    script, project, _ = fake
    parent, child = _parent_running_dbt(script, project, tmp_path / "run-started")
    os.kill(parent.pid, signal.SIGTERM)
    out, _ = parent.communicate(timeout=30)
    assert parent.returncode == -signal.SIGTERM, out
    assert process_gone(child, within=10)


def test_an_orchestrators_sigterm_handler_still_runs_and_dbt_is_stopped(
    fake: tuple[str, Path, Path], tmp_path: Path
) -> None:
    """A SIGTERM handler the orchestrator set (one that raises, as Airflow's does) runs as
    before; dbt got the signal and is reaped before the exception leaves the wait."""
    script, project, _ = fake
    setup = (
        "import signal, sys\n"
        "def cancelled(signum, frame):\n"
        "    raise SystemExit(9)\n"
        "signal.signal(signal.SIGTERM, cancelled)"
    )
    parent, child = _parent_running_dbt(script, project, tmp_path / "run-started", setup)
    os.kill(parent.pid, signal.SIGTERM)
    out, _ = parent.communicate(timeout=30)
    assert parent.returncode == 9, out
    assert "dbt exit" not in out
    assert not process_alive(child)
