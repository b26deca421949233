"""`dbt-armor validate` on copies of integration_project parsed by real dbt, with no API key
and no network: a policy typo, a malformed dbt_armor.yml and an unknown naming case are caught.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from project_copy import DbtProject, copy_project

from dbt_armor.cli.main import cli
from dbt_armor.errors import process_exit_code

pytestmark = pytest.mark.e2e

SOURCES = Path("models/staging/_sources.yml")
MARTS = Path("models/marts/_marts.yml")
# integration_project declares two policies directly under meta.armor (where nothing reads
# them); validate reports that, so the baseline copy moves them under meta.armor.gate.
_SRC = " " * 14
_MART = " " * 10
MISPLACED = {
    SOURCES: (f"armor:\n{_SRC}stale: error", f"armor:\n{_SRC}gate:\n{_SRC}  stale: error"),
    MARTS: (f"armor:\n{_MART}unknown: error", f"armor:\n{_MART}gate:\n{_MART}  unknown: error"),
}


def _edit(project: DbtProject, path: Path, old: str, new: str) -> None:
    file = project.path / path
    text = file.read_text()
    assert old in text, f"{old!r} not in {path}"
    file.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def parsed(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    project = dbt_project.clone(tmp_path_factory.mktemp("validate") / "armor_shop")
    for path, (old, new) in MISPLACED.items():
        _edit(project, path, old, new)
    project.dbt("parse")
    return project


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key, and any attempt to open a connection fails the test."""
    monkeypatch.delenv("ARMOR_API_KEY", raising=False)

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("validate opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _validate(project: DbtProject, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        cli,
        ["validate", "--project-dir", str(project.path), "--format", "json", *args],
        standalone_mode=False,
    )
    assert result.exception is None, result.exception
    return process_exit_code(result.return_value), json.loads(result.stdout)


def _messages(doc: dict[str, Any]) -> list[str]:
    return [f"{f['where']}: {f['message']}" for f in doc["findings"] if f["level"] == "error"]


def test_valid_project_passes_and_reports_the_sync_mapping(parsed: DbtProject) -> None:
    code, doc = _validate(parsed)
    assert _messages(doc) == []
    assert code == 0 and doc["ok"] is True and doc["schema_version"] == 1
    assert doc["sync"]["rules"]["validity"] > 10
    reasons = {u["name"]: u["reason"] for u in doc["sync"]["unmapped"]}
    assert "singular test" in reasons["assert_order_amount_non_negative"]


def test_the_misplaced_policies_of_integration_project_are_reported(
    dbt_project: DbtProject,
) -> None:
    code, doc = _validate(dbt_project)  # as shipped, parsed by the session's build
    assert code == 1
    errors = _messages(doc)
    assert any("source.armor_shop.shop.orders" in e and "meta.armor.stale" in e for e in errors)
    assert any("model.armor_shop.fct_orders" in e and "meta.armor.unknown" in e for e in errors)


def test_policy_typo_is_caught_with_the_file_and_the_allowed_keys(
    parsed: DbtProject, tmp_path: Path
) -> None:
    project = parsed.clone(tmp_path / "typo")
    _edit(
        project,
        SOURCES,
        "gate:\n                stale: error",
        "gate:\n                stail: error",
    )
    _edit(project, MARTS, "unknown: error", "unknown: eror")
    project.dbt("parse")
    code, doc = _validate(project)
    assert code == 1
    errors = _messages(doc)
    assert any(
        "source.armor_shop.shop.orders (models/staging/_sources.yml)" in e and "'stail'" in e
        for e in errors
    ), errors
    assert any("fct_orders" in e and "unknown='eror'" in e for e in errors), errors
    hints = " ".join(str(f["hint"]) for f in doc["findings"])
    assert "allowed" in hints


def test_malformed_project_file_is_caught(parsed: DbtProject, tmp_path: Path) -> None:
    project = parsed.clone(tmp_path / "badfile")
    config = project.path / "dbt_armor.yml"
    config.write_text(config.read_text() + "gatee:\n  stale: warn\n")
    code, doc = _validate(project)
    assert code == 1
    assert any("unknown key 'gatee'" in e for e in _messages(doc)), doc["findings"]
    # the manifest checks still ran with the defaults
    assert doc["sync"]["rules"]["validity"] > 10


def test_unknown_naming_case_is_caught(parsed: DbtProject, tmp_path: Path) -> None:
    project = parsed.clone(tmp_path / "case")
    _edit(project, Path("dbt_armor.yml"), "case: preserve", "case: uper")
    code, doc = _validate(project)
    assert code == 1
    assert any("naming.case" in e and "uper" in e for e in _messages(doc)), doc["findings"]


def test_project_gate_typo_is_caught(parsed: DbtProject, tmp_path: Path) -> None:
    project = parsed.clone(tmp_path / "gate")
    _edit(project, Path("dbt_armor.yml"), "unknown: warn", "unknown: wran")
    code, doc = _validate(project)
    assert code == 1
    assert any("unknown='wran'" in e for e in _messages(doc)), doc["findings"]


def test_missing_manifest_exits_2_naming_dbt_parse(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "unparsed")
    code, doc = _validate(project)
    assert code == 2 and doc["ok"] is False
    assert any("dbt parse" in str(f["message"]) + str(f["hint"]) for f in doc["findings"])


def test_table_output_lists_problems_then_the_verdict(parsed: DbtProject, tmp_path: Path) -> None:
    project = parsed.clone(tmp_path / "table")
    _edit(project, Path("dbt_armor.yml"), "case: preserve", "case: uper")
    result = CliRunner().invoke(
        cli, ["validate", "--project-dir", str(project.path)], standalone_mode=False
    )
    lines = result.stdout.splitlines()
    assert process_exit_code(result.return_value) == 1
    assert lines[0].startswith("error: config:") and "naming.case" in lines[0]
    assert lines[-1] == "dbt-armor validate: invalid: 1 error(s), 0 warning(s)"
