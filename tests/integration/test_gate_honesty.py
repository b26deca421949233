"""Every output of ``dbt-armor gate`` tells the same verdict as the exit code, in every outcome.

For pass, warn, block, skip, platform down (fail, open, cached), no sources and nothing known
to the platform: the last terminal line, the JSON ``outcome``, the Markdown title, the JUnit
report and the results emitted for dbt (--emit-env) agree with the exit code, nothing says
"pass" when the run must not go on, and no hint suggests the policy already in force.
Uses the real CLI on a manifest file (no dbt) against the emulator.
"""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from gate_project import control

from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorServer

FIXTURE = Path(__file__).parents[1] / "fixtures" / "manifests" / "integration_v12.json"
TABLES = ("orders", "payments")
FEEDING = ["--select", "stg_orders", "stg_payments"]


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _entry(ctx: click.Context) -> None:
    main(list(ctx.args))


@dataclass
class Run:
    code: int
    last_line: str
    text: str
    doc: dict[str, Any]
    markdown: str
    junit: ET.Element
    emitted: dict[str, Any]


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api/v1"


def _run(project: Path, url: str, key: str, *argv: str) -> Run:
    env = {"ARMOR_API_KEY": key, "ARMOR_API_URL": url, "ARMOR_TIMEOUT": "2"}
    env |= {"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""}
    files = ["--junit-xml", str(project / "j.xml"), "--markdown", str(project / "s.md")]
    files += ["--emit-env", str(project / "armor.env")]
    base = ["gate", "--manifest", str(project / "target" / "manifest.json")]
    base += ["--project-dir", str(project), "--deadline", "5", *files, *argv]
    text = CliRunner().invoke(_entry, base, env=env)
    as_json = CliRunner().invoke(_entry, [*base, "--format", "json"], env=env)
    assert as_json.exit_code == text.exit_code, as_json.output
    env_line = (project / "armor.env").read_text().strip()
    emitted = json.loads(shlex.split(env_line.removeprefix("export "))[0].split("=", 1)[1])
    lines = [line for line in text.stdout.splitlines() if line.strip()]
    return Run(
        code=text.exit_code,
        last_line=lines[-1] if lines else "",
        text=" ".join(text.output.split()),
        doc=json.loads(as_json.stdout),
        markdown=(project / "s.md").read_text(),
        junit=ET.parse(project / "j.xml").getroot(),
        emitted=emitted,
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text('data_sources:\n  "*": warehouse\n')
    return tmp_path


def _register(emulator: EmulatorServer, **status: str) -> None:
    for table in TABLES:
        emulator.state.add_table("warehouse", "warehouse", "raw", table)
        state = status.get(table, "fresh")
        body = {"qualified_name": f"warehouse.warehouse.raw.{table}", "status": state}
        hours = 40.0 if state == "stale" else 1.0
        control(emulator, "freshness", {**body, "hours_since_update": hours, "threshold_hours": 24})


Setup = Callable[[EmulatorServer, Path, str], list[str]]


def _live(**status: str) -> Setup:
    def setup(emulator: EmulatorServer, project: Path, key: str) -> list[str]:
        _register(emulator, **status)
        return []

    return setup


def _down(on_api_error: str, warm: bool = False) -> Setup:
    def setup(emulator: EmulatorServer, project: Path, key: str) -> list[str]:
        _register(emulator, orders="stale")
        if warm:  # one good run fills the cache: orders was stale then
            assert _run(project, emulator.api_url, key, *FEEDING).code == 3
        return ["--on-api-error", on_api_error, "--api-url", _closed_url()]

    return setup


# outcome -> (setup, extra argv, exit code, label in the last line)
OUTCOMES: dict[str, tuple[Setup, list[str], int, str]] = {
    "pass": (_live(), FEEDING, 0, "Gate decision: pass"),
    "warn": (_live(payments="unknown"), FEEDING, 0, "Gate decision: warn"),
    "block": (_live(orders="stale"), FEEDING, 3, "Gate decision: block"),
    "skip": (_live(orders="stale"), [*FEEDING, "--on-fail", "skip"], 0, "skipping 1 node"),
    "unavailable": (_down("fail"), FEEDING, 4, "platform unavailable, not running"),
    "unchecked": (_down("open"), FEEDING, 0, "unchecked, running anyway"),
    "cached": (_down("cached", warm=True), FEEDING, 3, "facts from the cache"),
    "no_sources": (_live(), ["--select", "dim_dates"], 0, "no upstream sources"),
    "not_configured": (lambda e, p, k: [], FEEDING, 2, "not configured"),
}
JSON_OUTCOME = {"cached": "block"}


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_every_output_agrees_with_the_exit_code(
    project: Path, emulator: EmulatorServer, api_key: str, name: str
) -> None:
    setup, argv, code, words = OUTCOMES[name]
    extra = setup(emulator, project, api_key)
    run = _run(project, emulator.api_url, api_key, *argv, *extra)
    assert run.code == code, run.text
    assert words in run.last_line, run.last_line
    assert (run.doc["outcome"], run.doc["exit_code"]) == (JSON_OUTCOME.get(name, name), code)
    assert (run.emitted["outcome"], run.emitted["exit_code"]) == (run.doc["outcome"], code)
    suite = run.junit.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["outcome"], props["exit_code"]) == (run.doc["outcome"], str(code))
    failures = int(suite.get("failures") or 0)
    title = run.markdown.splitlines()[0]
    if code != 0:
        assert "pass" not in run.last_line and "✅" not in title
        assert failures > 0
        blocked = [e for e in run.emitted["sources"].values() if e["outcome"] == "block"]
        assert blocked, "the results handed to dbt must block something"
    elif name == "skip":  # dbt runs the rest; the blocked source and its nodes are named
        assert failures == 1 and run.emitted["blocked_nodes"] and "⛔ skip" in title
    else:
        assert failures == 0 and "⛔" not in title
    if name == "no_sources":
        assert "no upstream sources" in run.text and run.doc["sources"] == []
    else:
        assert "no upstream sources" not in run.text
        assert len(run.doc["sources"]) == int(suite.get("tests") or 0) == 2
    if name in ("unavailable", "not_configured"):
        assert {e["outcome"] for e in run.emitted["sources"].values()} == {"block"}
    assert "--policy not_monitored=warn" not in run.text  # already warn
    assert "--policy unknown=warn" not in run.text  # already warn
    if name == "cached":
        assert run.doc["facts_from"] == "cache" and run.doc["cache_age_hours"] is not None
        assert "cached facts" in run.text


def test_hints_name_only_changes_that_change_the_outcome(
    project: Path, emulator: EmulatorServer, api_key: str
) -> None:
    _register(emulator, orders="stale", payments="unknown")
    run = _run(project, emulator.api_url, api_key, *FEEDING)
    assert run.code == 3
    assert "--policy stale=warn" in run.text  # would let the run go on
    assert "--policy unknown=warn" not in run.text
