"""`dbt-armor sync plan|apply` through the real CLI entry point against the emulator."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from gate_project import cli, manifest_project


@pytest.fixture()
def project(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_key: str) -> Path:
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    config = "sync:\n  dialect: backend\n"
    return manifest_project(tmp_path, emulator, "sync_catalogue.json", config)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return cli(capsys, "sync", *args)


def test_plan_out_apply_file_then_drift_check(
    project: Path, capsys: pytest.CaptureFixture[str], emulator: Any, api_key: str
) -> None:
    pd = ["--project-dir", str(project)]
    plan_file = project / "plan.json"
    code, out, _ = run(capsys, "plan", *pd, "--out", str(plan_file))
    assert code == 0 and "to create" in out and "Not synced" in out
    saved = json.loads(plan_file.read_text())
    assert saved["schema_version"] == 1 and saved["dialect"] == "backend"
    types = {c["payload"].get("rule_type") for c in saved["changes"] if c["kind"] == "validity"}
    assert {"not_null", "allowed_values", "range_bounds", "regex_match"} <= types
    code, out, _ = run(capsys, "plan", *pd, "--fail-on-changes")
    assert code == 1
    code, out, err = run(capsys, "apply", str(plan_file), *pd)
    assert code == 0 and out.startswith("Plan: ")  # the saved plan's summary first
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"Applied: {saved['summary']['create']} created, 0 updated")
    assert last.endswith(" requests)") and " s (" in last
    assert api_key not in out + err
    code, out, _ = run(capsys, "plan", *pd, "--fail-on-changes", "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["create"] == 0
    code, out, err = run(capsys, "apply", str(plan_file), *pd)  # the remote moved on
    assert code == 2 and "remote changed since plan" in err


def test_select_scopes_the_plan(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "plan", "--project-dir", str(project), "--select", "tag:core",
        "--exclude", "customers", "--format", "json",
    )  # fmt: skip
    assert code == 0
    nodes = {c["node_id"] for c in json.loads(out)["changes"]}
    assert nodes == {"model.shop.orders"}


def test_missing_manifest_is_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "plan", "--project-dir", str(project), "--manifest", str(project / "nope.json")
    )
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_no_manifest_in_the_project_says_run_dbt_parse(
    project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (project / "target" / "manifest.json").unlink()
    code, out, err = run(capsys, command, "--project-dir", str(project))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err
    assert "manifest.json" in lines[0] and "dbt parse" in lines[0] and "--manifest" in lines[0]
    assert "Applied" not in out


def test_manifest_older_than_a_project_file_is_warned(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = project / "target" / "manifest.json"
    schema = project / "models" / "schema.yml"
    schema.parent.mkdir()
    schema.write_text("version: 2\n")
    hour_ago = time.time() - 3600
    os.utime(schema, (hour_ago, hour_ago))
    code, _, err = run(capsys, "plan", "--project-dir", str(project))
    assert code == 0 and "older than" not in err
    os.utime(manifest, (hour_ago - 60, hour_ago - 60))
    code, _, err = run(capsys, "plan", "--project-dir", str(project))
    assert code == 0
    assert f"older than {Path('models') / 'schema.yml'}; run `dbt parse`" in err


def test_plan_out_is_written_whole_or_not_at_all(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd = ["--project-dir", str(project)]
    plan_file = project / "new" / "dir" / "plan.json"  # directories are created
    code, _, err = run(capsys, "plan", *pd, "--out", str(plan_file))
    assert code == 0, err
    assert json.loads(plan_file.read_text())["schema_version"] == 1
    assert [p.name for p in plan_file.parent.iterdir()] == ["plan.json"]  # no temp file left
    blocked = project / "is_a_dir"
    (blocked / "inside").mkdir(parents=True)
    code, _, err = run(capsys, "plan", *pd, "--out", str(blocked))
    assert code == 2 and "cannot write the plan to" in err and "Traceback" not in err
    assert [p.name for p in blocked.iterdir()] == ["inside"]  # nothing half-written beside it
    assert [p.name for p in project.iterdir() if p.name.startswith(".")] == []
