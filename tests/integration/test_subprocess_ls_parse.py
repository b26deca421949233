"""Subprocess mode starts dbt as few times as is safe: with a selection, ``dbt ls`` (which parses
with the same flags and writes manifest.json) replaces the separate ``dbt parse``, unless the
manifest on disk was not rewritten by it; without a selection, one parse and no ls.

dbt is a small stand-in executable that records each command it was started with."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from dbt_armor.dbt.external import SubprocessInvoker
from dbt_armor.dbt.invocation import resolve_invocation
from dbt_armor.gate.pipeline import prepare

FIXTURE = Path(__file__).parents[1] / "fixtures" / "manifests" / "integration_v12.json"
FAKE = """#!{python}
import json, os, sys
from pathlib import Path
log = Path(os.environ["FAKE_DBT_LOG"])
with log.open("a") as f:
    f.write(sys.argv[1] + "\\n")
args = sys.argv[2:]
project = Path(args[args.index("--project-dir") + 1])
target = project / "target"
target.mkdir(exist_ok=True)
if sys.argv[1] == "parse" or (sys.argv[1] == "ls" and os.environ.get("FAKE_LS_WRITES")):
    (target / "manifest.json").write_text(Path(os.environ["FAKE_MANIFEST"]).read_text())
if sys.argv[1] == "ls":
    doc = json.loads(Path(os.environ["FAKE_MANIFEST"]).read_text())
    for uid, node in sorted(doc["nodes"].items()):
        if node["resource_type"] == "model" and node["name"] == "stg_orders":
            print(json.dumps({{"unique_id": uid, "resource_type": "model", "fqn": node["fqn"]}}))
"""


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(the stand-in dbt executable, its log of commands) and a project dir in tmp_path."""
    exe = tmp_path / "bin" / "dbt"
    exe.parent.mkdir()
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(0o755)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_DBT_LOG", str(log))
    monkeypatch.setenv("FAKE_MANIFEST", str(FIXTURE))
    (tmp_path / "dbt_project.yml").write_text("name: armor_shop\n")
    return exe, log


def _calls(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def _prepare(tmp_path: Path, exe: Path, argv: list[str]) -> set[str]:
    invocation = resolve_invocation("run", ["--project-dir", str(tmp_path), *argv], {}, tmp_path)
    prepared = prepare(invocation, executable=str(exe), mode="subprocess")
    assert prepared.manifest.nodes  # the manifest was read either way
    return set(prepared.selected)


def test_with_a_selection_ls_writes_the_manifest_and_parse_is_skipped(
    tmp_path: Path, fake: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    exe, log = fake
    monkeypatch.setenv("FAKE_LS_WRITES", "1")
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")  # a previous run's
    selected = _prepare(tmp_path, exe, ["--select", "stg_orders"])
    assert _calls(log) == ["ls"]
    assert selected == {"model.armor_shop.stg_orders"}


def test_when_ls_did_not_rewrite_the_manifest_dbt_parses(
    tmp_path: Path, fake: tuple[Path, Path]
) -> None:
    """An engine whose ls writes no manifest: the old file on disk is never trusted."""
    exe, log = fake
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    _prepare(tmp_path, exe, ["--select", "stg_orders"])
    assert _calls(log) == ["ls", "parse"]


def test_without_a_selection_one_parse_and_no_ls(tmp_path: Path, fake: tuple[Path, Path]) -> None:
    exe, log = fake
    selected = _prepare(tmp_path, exe, [])
    assert _calls(log) == ["parse"]
    doc = json.loads(FIXTURE.read_text())
    models = {u for u, n in doc["nodes"].items() if n["resource_type"] == "model"}
    assert selected == models


def test_select_and_parse_without_resource_types_parses(
    tmp_path: Path, fake: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    exe, log = fake
    monkeypatch.setenv("FAKE_LS_WRITES", "1")
    invoker = SubprocessInvoker(tmp_path, None, str(exe))
    argv = ["--resource-type", "test", "--exclude-resource-type", "test"]
    path, selection = invoker.select_and_parse(argv, command="build")
    assert selection.empty and path == tmp_path / "target" / "manifest.json"
    assert _calls(log) == ["parse"]
