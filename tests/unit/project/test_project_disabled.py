"""Disabled entries and unit tests in the typed manifest, read from a real dbt 1.11 manifest
(tests/fixtures/manifests/disabled_v12.json: one disabled entry of every common resource type)."""

from __future__ import annotations

import json
from pathlib import Path

from dbt_armor.project import NameResolver, decode_manifest, load_manifest
from dbt_armor.sync.translate import translate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"
DISABLED = FIXTURES / "disabled_v12.json"


def test_every_disabled_resource_type_decodes() -> None:
    m = load_manifest(DISABLED)
    kinds = {v.resource_type for versions in m.disabled.values() for v in versions}
    assert kinds == {"model", "seed", "snapshot", "test", "source", "exposure", "unit_test"}
    assert all(not v.config.enabled for versions in m.disabled.values() for v in versions)
    # Disabled entries stay out of the graph and lookups.
    assert m.get("model.dis.b") is None and "model.dis.b" in m.disabled


def test_disabled_tests_keep_what_sync_reads() -> None:
    m = load_manifest(DISABLED)
    tests = {t.name: t for t in m.disabled_tests()}
    assert sorted(tests) == ["accepted_values_a_id__1", "not_null_a_id"]
    not_null = tests["not_null_a_id"]
    assert not_null.test_metadata is not None and not_null.test_metadata.name == "not_null"
    assert (not_null.column_name, not_null.attached_node) == ("id", "model.dis.a")
    assert not_null.severity == "warn" and not_null.armor_meta == {"sync": True}


def test_unit_tests_are_read_without_their_fixture_rows() -> None:
    m = load_manifest(DISABLED)
    assert list(m.unit_tests) == ["unit_test.dis.a.ut_a2"]
    unit = m.unit_tests["unit_test.dis.a.ut_a2"]
    assert (unit.name, unit.model, unit.resource_type) == ("ut_a2", "a", "unit_test")
    assert unit.depends_on.nodes == ["model.dis.a"]
    assert not hasattr(unit, "given")


def test_null_or_missing_sections_read_as_empty() -> None:
    doc = json.loads(DISABLED.read_text())
    doc["disabled"] = None
    del doc["unit_tests"]
    m = decode_manifest(json.dumps(doc).encode())
    assert m.disabled == {} and m.unit_tests == {} and m.disabled_tests() == []


def test_sync_lists_disabled_and_unit_tests_from_the_typed_manifest() -> None:
    m = load_manifest(DISABLED)
    resolver = NameResolver(m, target="dev", data_sources={"*": "warehouse"})
    result = translate(m, resolver.resolve)
    reasons = {u.unique_id: u.reason for u in result.unmapped}
    for uid in ("test.dis.not_null_a_id.c1cebc1440", "test.dis.accepted_values_a_id__1.db87b67e3e"):
        assert reasons[uid] == "disabled (enabled: false)"
    assert "unit test" in reasons["unit_test.dis.a.ut_a2"]
    assert [s.key for s in result.specs if s.test_id] == ["model.dis.a:id:unique"]
