"""The output contract: every command with ``--format json`` prints exactly one JSON document on
stdout (human lines, warnings and progress go to stderr), with a ``schema_version``; the old
option spellings still work and say they are deprecated."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gate_project import manifest_project

from dbt_armor.emulator import EmulatorServer

DBT_ARMOR = str(Path(sys.executable).with_name("dbt-armor"))


@pytest.fixture()
def project(emulator: EmulatorServer, tmp_path: Path) -> Path:
    config = "tier: enterprise\nnaming:\n  case: preserve\n"
    manifest_project(tmp_path, emulator, config=config)
    (tmp_path / "prod").mkdir()
    shutil.copy(tmp_path / "target" / "manifest.json", tmp_path / "prod" / "manifest.json")
    return tmp_path


def _run(project: Path, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARMOR_", "GITHUB_"))}
    env.update(ARMOR_API_KEY=key, HOME=str(project), ARMOR_PROGRESS_INTERVAL="0")
    return subprocess.run(
        [DBT_ARMOR, *args], cwd=project, env=env, capture_output=True, text=True, timeout=240,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


COMMANDS: dict[str, tuple[list[str], set[int]]] = {
    "map": (["map", "--format", "json"], {0}),
    "map --check": (["map", "--check", "--format", "json"], {0, 1}),
    # integration_project's manifest places two policies directly under meta.armor: exit 1
    "validate": (["validate", "--format", "json"], {1}),
    "doctor": (["doctor", "--format", "json"], {0}),
    "sync plan": (["sync", "plan", "--format", "json"], {0}),
    "sync apply": (["sync", "apply", "--format", "json"], {0}),
    "lineage publish": (["lineage", "publish", "--wait", "--format", "json"], {0}),
    "ci": (["ci", "--state", "prod", "--format", "json"], {0, 3}),
    "gate": (
        [
            "gate",
            "--manifest",
            "target/manifest.json",
            "--select",
            "fct_orders",
            "--format",
            "json",
        ],
        {0, 3},
    ),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_prints_one_json_document(project: Path, api_key: str, name: str) -> None:
    args, codes = COMMANDS[name]
    done = _run(project, api_key, *args, "--project-dir", str(project))
    assert done.returncode in codes, f"{name}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    doc: Any = json.loads(done.stdout)  # raises if anything else is on stdout
    assert isinstance(doc, dict) and isinstance(doc.get("schema_version"), int), name
    assert "Traceback" not in done.stderr and api_key not in done.stdout + done.stderr


def test_deprecated_spellings_still_work_and_warn(project: Path, api_key: str) -> None:
    done = _run(project, api_key, "lineage", "publish", "--json", "--project-dir", str(project))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == "lineage publish"
    assert "--json is deprecated; use --format json" in done.stderr
    reports = project / "reports"
    done = _run(
        project, api_key, "ci", "--state", "prod", "--project-dir", str(project),
        "--junit", str(reports / "j.xml"), "--json", str(reports / "ci.json"),
        "--format", "text",
    )  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    assert (reports / "j.xml").read_text().startswith("<?xml")
    assert json.loads((reports / "ci.json").read_text())["outcome"] in ("pass", "fail")
    assert "--junit is deprecated; use --junit-xml" in done.stderr
    assert "dbt-armor ci:" in done.stdout  # table mode: the summary line on stdout


def test_new_spellings_win_over_deprecated_ones(project: Path, api_key: str) -> None:
    reports = project / "reports"
    done = _run(
        project, api_key, "ci", "--state", "prod", "--project-dir", str(project),
        "--junit", str(reports / "old.xml"), "--junit-xml", str(reports / "new.xml"),
    )  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    assert (reports / "new.xml").exists() and not (reports / "old.xml").exists()
