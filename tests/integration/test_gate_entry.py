"""One gate entry point: ``dbt_armor.gate(manifest=...)`` and the orchestrators'
``gate_on_manifest`` both check through ``gate.entry.gate_prepared`` and reach the same
verdict (outcome, per-source outcomes, exit code, armor_gate.json) on the same emulator state,
honouring ``max_age``, ``policy`` and ``wait`` whichever path they are given to."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gate_project import NOW, manifest_doc, model_id, outcomes, register, set_freshness, source_id

import dbt_armor
from dbt_armor.config import resolve_settings
from dbt_armor.emulator import EmulatorServer
from dbt_armor.gate import entry
from dbt_armor.gate.result import GateResult
from dbt_armor.integrations._gate import gate_on_manifest

TABLES = ("orders", "payments")
Gate = Callable[..., GateResult]


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project dir with dbt_armor.yml and target/manifest.json (the gate_project shop)."""
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(manifest_doc(TABLES)))
    (tmp_path / "dbt_armor.yml").write_text('data_sources:\n  "*": warehouse\n')
    for name in ("DBT_TARGET", "DBT_PROJECT_DIR", "DBT_PROFILES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def entries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every call of the one entry point, with what it was given (the real one still runs)."""
    seen: list[dict[str, Any]] = []
    real = entry.gate_prepared

    def spy(prepared: Any, settings: Any, **options: Any) -> GateResult:
        seen.append({"selected": prepared.selected, **options})
        return real(prepared, settings, **options)

    monkeypatch.setattr(entry, "gate_prepared", spy)
    return seen


@pytest.fixture()
def paths(project: Path, client: Any) -> dict[str, Gate]:
    """The two public ways to gate the project's manifest, with the same client and clock."""
    manifest = project / "target" / "manifest.json"
    settings = resolve_settings({}, project_dir=project)

    def python_api(**kw: Any) -> GateResult:
        return dbt_armor.gate(project, manifest=manifest, client=client, now=lambda: NOW, **kw)

    def orchestrator(**kw: Any) -> GateResult:
        return gate_on_manifest(manifest, settings=settings, client=client, now=lambda: NOW, **kw)

    return {"dbt_armor.gate": python_api, "gate_on_manifest": orchestrator}


def _verdict(result: GateResult, written: Path) -> tuple[Any, ...]:
    doc = json.loads(written.read_text())
    sources = [(s["outcome"], s["feeds"]) for s in doc["sources"]]
    return (result.outcome.value, result.exit_code, outcomes(result), result.selected,
            doc["decision"], doc["exit_code"], sources)  # fmt: skip


def test_both_paths_reach_the_one_entry_point_with_the_same_verdict(
    emulator: EmulatorServer, project: Path, paths: dict[str, Gate], entries: list[Any]
) -> None:
    register(emulator, TABLES)
    set_freshness(emulator, "orders", "stale", 40)
    set_freshness(emulator, "payments", "fresh", 1)
    written = project / "target" / "armor_gate.json"
    verdicts = {}
    for name, gate in paths.items():
        written.unlink(missing_ok=True)
        verdicts[name] = _verdict(gate(), written)
    assert verdicts["dbt_armor.gate"] == verdicts["gate_on_manifest"]
    outcome, code, per_source, selected, *_ = verdicts["gate_on_manifest"]
    assert (outcome, code) == ("block", 3)
    assert per_source == {source_id("orders"): "block", source_id("payments"): "pass"}
    assert selected == frozenset({model_id("orders"), model_id("payments")})
    assert len(entries) == 2 and entries[0]["selected"] == entries[1]["selected"]


@pytest.mark.parametrize("path", ["dbt_armor.gate", "gate_on_manifest"])
def test_max_age_policy_and_mode_given_to_either_path_are_honoured(
    emulator: EmulatorServer, paths: dict[str, Gate], entries: list[Any], path: str
) -> None:
    register(emulator, TABLES)
    set_freshness(emulator, "orders", "fresh", 20)
    set_freshness(emulator, "payments", "fresh", 1)
    gate = paths[path]
    assert (gate().outcome.value, gate().exit_code) == ("pass", 0)
    aged = gate(max_age=12)
    assert (aged.outcome.value, aged.exit_code) == ("block", 3)
    assert outcomes(aged)[source_id("orders")] == "block"
    warned = gate(max_age=12, policy={"stale": "warn"})
    assert (warned.outcome.value, warned.exit_code) == ("warn", 0)
    skipped = gate(max_age=12, mode="skip")
    assert skipped.exit_code == 0 and skipped.skipped == [model_id("orders")]
    assert [e["max_age"] for e in entries] == [None, None, 12, 12, 12]
    assert entries[3]["policy"] == {"stale": "warn"} and entries[4]["mode"] == "skip"


@pytest.mark.parametrize("path", ["dbt_armor.gate", "gate_on_manifest"])
def test_wait_re_checks_through_either_path_then_blocks(
    emulator: EmulatorServer, paths: dict[str, Gate], path: str
) -> None:
    register(emulator, ("orders",))
    set_freshness(emulator, "orders", "stale", 40)
    said: list[str] = []
    result = paths[path](select=["stg_orders"], wait=1, say=said.append)
    assert (result.outcome.value, result.exit_code) == ("block", 3)
    assert any(line.startswith("waiting for raw.orders") for line in said), said
    assert any(line.startswith("gave up after") for line in said), said
