"""A plan file can never touch a rule dbt-armor does not own (issue 13, item 1).

Through the real CLI against the emulator: a hand-edited plan is refused by its digest; a plan
whose digest was recomputed after the edit is refused by the live re-check, with exit 2 and
not a single write; a property test throws arbitrary edits at the live re-check.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from examples_budget import examples
from gate_project import MANIFESTS, cli, control, manifest_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbt_armor.api import ArmorClient
from dbt_armor.api.models import ValidityRuleCreate
from dbt_armor.errors import ArmorError
from dbt_armor.sync import plan_json

CATALOGUE = "sync_catalogue.json"
WRITES = ("POST", "PATCH", "DELETE", "PUT")
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


@pytest.fixture()
def project(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_key: str) -> Path:
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    return manifest_project(tmp_path, emulator, CATALOGUE)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return cli(capsys, "sync", *args)


def writes(emulator: Any) -> int:
    body = httpx.get(emulator.url + "/_emulator/requests").json()
    entries = body.get("data", body) if isinstance(body, dict) else body
    if isinstance(entries, dict):
        entries = entries.get("items") or entries.get("requests") or []
    return sum(
        1 for e in entries if e.get("method") in WRITES and "/_emulator" not in str(e["path"])
    )


def hand_made(emulator: Any, api_key: str) -> str:
    with ArmorClient(api_key, emulator.url + "/api/v1") as client:
        rule = client.validity.create(
            "warehouse",
            ValidityRuleCreate(rule_type="NOT_NULL", table_path="warehouse.main.orders",
                               column_name="status", severity="warning", name="by hand"),
        )  # fmt: skip
    return rule.uuid or str(rule.id)


def rules(emulator: Any, api_key: str) -> dict[str, tuple[str | None, str | None]]:
    with ArmorClient(api_key, emulator.url + "/api/v1") as client:
        return {r.uuid or "": (r.name, r.description) for r in client.validity.iter("warehouse")}


def edit(path: Path, fix_digest: bool, change: dict[str, Any], index: int = 0) -> None:
    raw = json.loads(path.read_text())
    raw["changes"][index].update(change)
    if fix_digest:
        raw["digest"] = plan_json.digest(raw)
    path.write_text(json.dumps(raw))


@pytest.fixture()
def synced(project: Path, capsys: pytest.CaptureFixture[str], emulator: Any) -> Path:
    """Every dbt test applied once, then a plan (all unchanged) saved to plan.json."""
    assert run(capsys, "apply", "--project-dir", str(project))[0] == 0
    plan_file = project / "plan.json"
    assert run(capsys, "plan", "--project-dir", str(project), "--out", str(plan_file))[0] == 0
    return plan_file


@pytest.mark.parametrize(
    "change",
    [
        {"action": "delete", "needs_prune": False},
        {"action": "update", "patch": {"name": "taken over"}},
        {"action": "replace", "payload": None},
    ],
    ids=["delete", "update", "replace"],
)
@pytest.mark.parametrize("fix_digest", [False, True], ids=["edited", "re-digested"])
def test_plan_file_naming_a_hand_made_rule_is_refused_without_a_write(
    project: Path,
    synced: Path,
    capsys: pytest.CaptureFixture[str],
    emulator: Any,
    api_key: str,
    change: dict[str, Any],
    fix_digest: bool,
) -> None:
    foreign = hand_made(emulator, api_key)
    before = rules(emulator, api_key)
    edit(synced, fix_digest, {**change, "remote_id": foreign})
    httpx.delete(emulator.url + "/_emulator/requests")
    code, out, err = run(capsys, "apply", str(synced), "--project-dir", str(project), "--prune")
    assert code == 2, out + err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    expected = "not managed by dbt-armor" if fix_digest else "digest does not match"
    assert expected in err
    assert writes(emulator) == 0 and rules(emulator, api_key) == before
    assert "Applied" not in out


def test_deletes_of_nothing_are_refused(
    project: Path, synced: Path, capsys: pytest.CaptureFixture[str], emulator: Any
) -> None:
    raw = json.loads(synced.read_text())
    for entry in raw["changes"]:
        entry.update({"action": "delete", "remote_id": None, "needs_prune": True})
    raw["digest"] = plan_json.digest(raw)
    synced.write_text(json.dumps(raw))
    httpx.delete(emulator.url + "/_emulator/requests")
    code, out, err = run(capsys, "apply", str(synced), "--project-dir", str(project), "--prune")
    assert code == 2 and "names no remote_id" in err and "deleted" not in out
    assert writes(emulator) == 0


def test_create_of_an_existing_key_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], emulator: Any
) -> None:
    plan_file = project / "plan.json"
    assert run(capsys, "plan", "--project-dir", str(project), "--out", str(plan_file))[0] == 0
    assert run(capsys, "apply", "--project-dir", str(project))[0] == 0
    # the saved plan's fingerprint still matches: the managed state is that of a newer plan
    raw = json.loads(plan_file.read_text())
    raw["changes"] = raw["changes"][:1]
    raw["digest"] = plan_json.digest(raw)
    plan_file.write_text(json.dumps(raw))
    httpx.delete(emulator.url + "/_emulator/requests")
    code, _, err = run(capsys, "apply", str(plan_file), "--project-dir", str(project))
    assert code == 2 and ("exists already" in err or "remote changed" in err)
    assert writes(emulator) == 0


_ACTIONS = st.sampled_from(["delete", "update", "replace"])
_PATCHES = st.one_of(
    st.none(),
    st.fixed_dictionaries({"name": st.text(max_size=5)}),
    st.fixed_dictionaries({"severity": st.sampled_from(["info", "critical"])}),
    st.fixed_dictionaries({"description": st.just("[dbt-armor key=x node=y hash=abc]")}),
)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 40), _ACTIONS, _PATCHES, st.booleans(), st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_no_plan_file_touches_an_unowned_rule(
    client: ArmorClient, emulator: Any, api_key: str, edits: list[Any]
) -> None:
    """Any edit that points changes at a hand-made rule (with any key, patch or payload, with
    the digest recomputed) leaves that rule exactly as it was."""
    from dbt_armor.project import NameResolver, load_manifest
    from dbt_armor.sync.service import apply_plan, make_plan

    emulator.app.reset()
    raw_manifest = json.loads((MANIFESTS / CATALOGUE).read_text())
    control(emulator, "manifest?data_source=warehouse", raw_manifest)
    manifest = load_manifest(MANIFESTS / CATALOGUE)
    resolver = NameResolver(manifest, target="dev", data_sources={"*": "warehouse"})
    first = make_plan(client, manifest, resolver.resolve, dialect="upper", now=NOW)
    apply_plan(client, first, prune=False, saved=False)
    foreign = hand_made(emulator, api_key)
    before = rules(emulator, api_key)[foreign]
    raw = plan_json.plan_to_dict(make_plan(client, manifest, resolver.resolve, dialect="upper",
                                        now=NOW))  # fmt: skip
    for index, action, patch, keep_key, prune in edits:
        entry = raw["changes"][index % len(raw["changes"])]
        entry.update({"action": action, "remote_id": foreign, "needs_prune": prune})
        if patch is not None:
            entry["patch"] = patch
        if not keep_key:
            entry["key"] = "model.shop.orders:status:not_null"
    raw["digest"] = plan_json.digest(raw)
    try:
        apply_plan(client, plan_json.plan_from_dict(raw), prune=True, saved=True)
    except ArmorError as exc:  # any refusal is fine; a write is not
        assert getattr(exc, "exit_code", None) == 2, repr(exc)
    assert rules(emulator, api_key).get(foreign) == before
