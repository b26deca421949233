"""dbt_armor.validation on the integration manifest fixture with edited meta.armor blocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbt_armor.config import Settings
from dbt_armor.project import NameResolver, decode_manifest
from dbt_armor.validation import check_meta, check_names, check_settings, check_sync

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "integration_v12.json"
ORDERS = "source.armor_shop.shop.orders"
FCT = "model.armor_shop.fct_orders"


def _manifest(**armor: dict[str, Any]) -> Any:
    doc = json.loads(FIXTURE.read_text())
    for uid, meta in armor.items():
        section = "sources" if uid.startswith("source.") else "nodes"
        doc[section][uid]["meta"] = {"armor": meta}
        doc[section][uid]["config"]["meta"] = {"armor": meta}
    return decode_manifest(json.dumps(doc).encode())


def _errors(manifest: Any) -> dict[str, str]:
    return {f.where.split(" ")[0]: f"{f.message} | {f.hint}" for f in check_meta(manifest)}


def test_valid_blocks_pass() -> None:
    manifest = _manifest(
        **{ORDERS: {"gate": {"stale": "warn", "max_age": 12}}, FCT: {"gate": {"unknown": "error"}}}
    )
    assert check_meta(manifest) == []


def test_unknown_key_gets_a_suggestion() -> None:
    errors = _errors(_manifest(**{ORDERS: {"gaet": {"stale": "warn"}}}))
    assert "unknown key meta.armor.gaet" in errors[ORDERS]
    assert "did you mean 'gate'" in errors[ORDERS]


def test_policy_values_are_checked_by_the_gate_reader() -> None:
    errors = _errors(_manifest(**{ORDERS: {"gate": {"stale": "blok"}}, FCT: {"gate": []}}))
    assert "stale='blok' is not valid" in errors[ORDERS] and "error, warn, off" in errors[ORDERS]
    assert "must be a mapping" in errors[FCT]


def test_values_that_readers_would_silently_ignore() -> None:
    errors = _errors(_manifest(**{ORDERS: {"sync": "false"}, FCT: {"data_source": 3}}))
    assert "is not a boolean" in errors[ORDERS]
    assert "meta.armor.data_source=3" in errors[FCT]


def test_bad_qualified_name_is_a_naming_error_and_sync_still_summarised() -> None:
    manifest = _manifest(**{ORDERS: {"qualified_name": "only.two"}})
    resolver = NameResolver(manifest, None, {"*": "warehouse"}, "preserve")
    names = check_names(resolver)
    assert [f.where for f in names] == [ORDERS]
    summary, _ = check_sync(manifest, resolver)
    assert summary.rules["validity"] > 10
    assert any(
        u.unique_id.startswith("test.") and "platform name" in u.reason for u in summary.unmapped
    )


def test_project_gate_section_is_checked() -> None:
    found = check_settings(Settings(gate={"on_api_error": "opne"}))
    assert len(found) == 1 and "on_api_error='opne'" in found[0].message
    assert check_settings(Settings(gate={"on_api_error": "open", "stale": "warn"})) == []


def test_a_policy_key_directly_under_meta_armor_points_at_gate() -> None:
    errors = _errors(_manifest(**{ORDERS: {"stale": "error"}}))
    assert "unknown key meta.armor.stale" in errors[ORDERS]
    assert "go under meta.armor.gate" in errors[ORDERS]
