"""The exit code of every command for each of its outcomes, through the console entry point
against the real emulator: the codes the README, docs/*.md and ``--help`` promise."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from dbt_armor.api.retry import RetryPolicy
from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READONLY_KEY, DEFAULT_READWRITE_KEY

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "integration_v12.json"
CHANGED = "model.armor_shop.stg_orders"


@dataclass(frozen=True)
class Case:
    """One command line, the platform it meets, and the code it must end with."""

    args: tuple[str, ...]
    code: int
    platform: str = "up"  # up | down (closed port) | empty (knows nothing)
    key: str = DEFAULT_READWRITE_KEY


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"


GATE = ("gate", "--manifest", "target/manifest.json", "--select")
CASES: dict[str, Case] = {
    "usage: unknown option": Case(("map", "--no-such-flag"), 2),
    "usage: unknown command": Case(("no-such-command",), 2),
    "map": Case(("map",), 0),
    "map --check, all resolve": Case(("map", "--check"), 0),
    "map --check, unresolved": Case(("map", "--check"), 1, "empty"),
    "map --check, platform down": Case(("map", "--check"), 4, "down"),
    "map, no manifest": Case(("map", "--manifest", "missing.json"), 2),
    "validate, problems found": Case(("validate",), 1),
    "validate, no manifest": Case(("validate", "--manifest", "missing.json"), 2),
    "doctor": Case(("doctor",), 0),
    "doctor, no key": Case(("doctor",), 2, key=""),
    "doctor, key refused": Case(("doctor",), 2, key="aa_live_not_a_known_key"),
    "doctor, platform down": Case(("doctor",), 4, "down"),
    "sync plan": Case(("sync", "plan"), 0),
    "sync plan --fail-on-changes, drift": Case(("sync", "plan", "--fail-on-changes"), 1),
    "sync plan, no manifest": Case(("sync", "plan", "--manifest", "missing.json"), 2),
    "sync plan, platform down": Case(("sync", "plan"), 4, "down"),
    "sync apply": Case(("sync", "apply"), 0),
    "sync apply, read-only key": Case(("sync", "apply"), 2, key=DEFAULT_READONLY_KEY),
    "sync apply, bad plan file": Case(("sync", "apply", "dbt_armor.yml"), 2),
    "lineage publish": Case(("lineage", "publish"), 0),
    "lineage publish, bad --wait-timeout": Case(("lineage", "publish", "--wait-timeout", "0"), 2),
    "lineage publish, platform down": Case(("lineage", "publish"), 4, "down"),
    "ci, nothing blocks": Case(("ci", "--state", "prod", "--fail-on", "none"), 0),
    "ci, --fail-on plan blocks": Case(("ci", "--state", "prod", "--fail-on", "plan"), 3),
    "ci, no production manifest": Case(("ci", "--state", "nowhere"), 2),
    "ci, platform down": Case(("ci", "--state", "prod"), 4, "down"),
    "freshness": Case(("freshness", "--manifest", "target/manifest.json"), 0),
    "freshness, no key": Case(("freshness", "--manifest", "target/manifest.json"), 2, key=""),
    "freshness, platform down": Case(
        ("freshness", "--manifest", "target/manifest.json"), 4, "down"
    ),
    "gate, fresh": Case((*GATE, "stg_orders"), 0),
    "gate, stale": Case((*GATE, "stg_customers"), 3),
    "gate, platform down": Case((*GATE, "stg_orders"), 4, "down"),
}


@pytest.fixture()
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back off 10 ms instead of seconds: the unreachable paths retry, timing is not tested."""
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, attempt, retry_after=None: 0.01)


@pytest.fixture()
def project(tmp_path: Path) -> Iterator[Path]:
    """integration_project's manifest in target/, and in prod/ with one model changed."""
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    prod = json.loads(FIXTURE.read_text())
    prod["nodes"][CHANGED]["checksum"]["checksum"] = "0" * 64
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "manifest.json").write_text(json.dumps(prod))
    (tmp_path / "home").mkdir()
    yield tmp_path


def _configure(project: Path, emulator: EmulatorServer, platform: str) -> None:
    url = _closed_port_url() if platform == "down" else emulator.api_url
    (project / "dbt_armor.yml").write_text(
        f"api_url: {url}\nallow_http: true\ntier: enterprise\n"
        'data_sources:\n  "*": warehouse\nnaming:\n  case: preserve\n'
    )
    if platform != "up":
        return
    raw = json.loads(FIXTURE.read_text())
    done = httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    assert done.status_code == 200, done.text
    stale = [t["qualified_name"] for t in emulator.state.tables.values()]
    for name in [n for n in stale if n.endswith(".raw.customers")]:  # stg_customers reads it
        body = {"qualified_name": name, "status": "stale", "hours_since_update": 30.0}
        done = httpx.post(emulator.url + "/_emulator/freshness", json=body)
        assert done.status_code == 200, done.text


def run_cli(project: Path, key: str, args: tuple[str, ...]) -> tuple[int, str]:
    """``dbt-armor ARGS --project-dir PROJECT`` in this process; (exit code, stderr)."""
    environ = {
        "ARMOR_API_KEY": key or None,
        "ARMOR_API_URL": None,
        "HOME": str(project / "home"),
        "GITHUB_ACTIONS": None,
        "GITHUB_STEP_SUMMARY": None,
        "DBT_TARGET": None,
        "ARMOR_PROGRESS_INTERVAL": "0",
    }
    argv = [*args]
    if args[0] not in ("freshness", "no-such-command") and "--no-such-flag" not in args:
        argv += ["--project-dir", str(project)]
    if args[0] == "freshness":
        argv += ["--project-dir", str(project)]  # handed on to dbt's argument reader
    runner = CliRunner()
    with runner.isolation(env=environ) as streams, pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        stderr = streams[1].getvalue().decode("utf-8", "replace")
    return code, stderr


@pytest.mark.parametrize("name", list(CASES))
def test_each_command_outcome_has_its_documented_code(
    name: str, project: Path, emulator: EmulatorServer, fast_retries: None
) -> None:
    case = CASES[name]
    _configure(project, emulator, case.platform)
    code, stderr = run_cli(project, case.key, case.args)
    assert code == case.code, f"{name}: exit {code}, expected {case.code}\n{stderr}"
    assert "Traceback" not in stderr
