"""Helpers shared by the sync unit tests (imported by name, like gate_helpers)."""

from __future__ import annotations

from pathlib import Path

from dbt_armor.sync.specs import RuleSpec, Translation

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"


def by_test_id(translation: Translation, test_id: str) -> RuleSpec:
    found = [s for s in translation.specs if s.test_id == test_id]
    assert len(found) == 1, f"{test_id}: {len(found)} specs"
    return found[0]
