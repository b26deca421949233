"""action.yml, the workflows and the CI examples (actionlint cannot be installed offline, so
these checks parse the files): inputs/outputs match the docs, every `dbt-armor` command line in
them parses against the real CLI, and the action's run step puts its reports in reports-dir."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

import dbt_armor
from dbt_armor.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
CI_DOC = (REPO / "docs" / "ci.md").read_text()
EXAMPLES = sorted((REPO / "docs" / "examples").glob("*.yml"))
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SLUG = "anomalyarmor/dbt-armor"


def _doc_table_names(heading: str) -> set[str]:
    """First-column names of the Markdown table whose header row starts with ``| heading |``."""
    lines = CI_DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {heading} |"))
    names = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names.add(line.split("|")[1].strip().strip("`"))
    return names


def test_every_input_and_output_is_described_and_documented() -> None:
    inputs, outputs = ACTION["inputs"], ACTION["outputs"]
    assert all(spec.get("description") for spec in [*inputs.values(), *outputs.values()])
    assert _doc_table_names("input") == set(inputs)
    assert _doc_table_names("output") == set(outputs)
    text = (REPO / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used <= set(inputs), used - set(inputs)
    assert "python-version" in used and "api-key" in used


def test_action_installs_itself_from_its_ref_and_masks_the_key() -> None:
    steps = ACTION["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install dbt-armor")["run"]
    assert '"$GITHUB_ACTION_PATH' in install and "==$VERSION" in install
    setup = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["if"] == "inputs.setup-python == 'true'"
    mask = next(s for s in steps if s.get("name") == "Mask the API key")
    assert mask["run"] == 'echo "::add-mask::$KEY"'
    run = next(s for s in steps if s.get("id") == "run")
    assert "inputs.api-key" in run["env"]["ARMOR_API_KEY"]
    assert (REPO / ".github" / "action" / "run.sh").is_file()


def _uses(doc: Any) -> list[str]:
    found: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "uses":
                found.append(str(value))
            else:
                found.extend(_uses(value))
    elif isinstance(doc, list):
        for item in doc:
            found.extend(_uses(item))
    return found


@pytest.mark.parametrize("path", [*EXAMPLES, *WORKFLOWS], ids=lambda p: p.name)
def test_workflow_files_are_well_formed(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    if path.name == "gitlab-ci.yml":
        assert str(doc["image"]).startswith("python:")
        jobs = [job for job in doc.values() if isinstance(job, dict)]
        scripts = [line for job in jobs for line in job.get("script", [])]
        scripts += doc.get("before_script", [])
        assert scripts
        # the slim Python images have neither curl nor wget
        assert not any(re.search(r"\b(curl|wget)\b", line) for line in scripts)
        return
    assert doc.get(True, doc.get("on")), "no trigger"
    for name, job in doc["jobs"].items():
        assert job.get("runs-on"), name
        assert job.get("steps"), name
    for ref in _uses(doc):
        assert not ref.startswith("./"), f"{path.name}: a user cannot copy `uses: {ref}`"
        assert "@" in ref, f"{path.name}: unpinned action {ref}"
        if ref.startswith(SLUG):
            major = dbt_armor.__version__.split(".")[0]
            assert ref == f"{SLUG}@v{major}", ref


def _command_lines() -> list[str]:
    lines = []
    for path in EXAMPLES:
        doc = yaml.safe_load(path.read_text())
        for job in doc.values():
            if not isinstance(job, dict):
                continue
            for line in [*job.get("script", []), *job.get("before_script", [])]:
                if line.startswith("dbt-armor "):
                    lines.append(line.removeprefix("dbt-armor "))
            for step in job.get("steps", []):
                command = (step.get("with") or {}).get("command")
                if command:
                    lines.append(command)
    for match in re.finditer(r"command: (.+)", CI_DOC):
        lines.append(match.group(1))
    return lines


@pytest.mark.parametrize("line", _command_lines())
def test_every_documented_command_line_parses(line: str) -> None:
    """Unknown options or subcommands in a copied example would fail the user's first run."""
    args = shlex.split(line)
    ctx = click.Context(cli)
    command = cli.get_command(ctx, args[0])
    assert command is not None, line
    rest = args[1:]
    if isinstance(command, click.Group):
        sub = command.get_command(ctx, rest[0])
        assert sub is not None, line
        command, rest = sub, rest[1:]
    command.make_context(args[0], rest, parent=ctx)  # raises on an unknown option


def test_run_step_writes_the_json_report_and_outputs(tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    manifest = REPO / "tests" / "fixtures" / "manifests" / "integration_v12.json"
    outputs = tmp_path / "github_output"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ARMOR_", "GITHUB_"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ARMOR_ARGS": f"map --manifest {manifest} --project-dir {tmp_path}",
        "ARMOR_REPORTS": "reports",
        "ARMOR_API_KEY": "",
        "GITHUB_OUTPUT": str(outputs),
    }
    proc = subprocess.run(
        ["bash", str(REPO / ".github" / "action" / "run.sh")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert written["exit-code"] == "0"
    assert written["reports-dir"] == str(tmp_path / "reports")
    assert written["json-file"] == str(tmp_path / "reports" / "map.json")
    import json

    document = json.loads((tmp_path / "reports" / "map.json").read_text())
    assert document["schema_version"] >= 1
