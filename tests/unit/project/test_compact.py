"""Manifest.compact (used by the lineage upload) shares repeated values without changing any."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_armor.lineage.slim import build_slim, encode_slim
from dbt_armor.project import load_manifest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"


@pytest.mark.parametrize(
    "name", ["integration_v12.json", "v11_snowflake.json", "v10_postgres.json"]
)
def test_compact_changes_no_value_commands_read(name: str) -> None:
    plain, compacted = load_manifest(FIXTURES / name), load_manifest(FIXTURES / name)
    compacted.compact()
    for uid, node in plain.nodes.items():
        other = compacted.nodes[uid]
        for field in ("resource_type", "package_name", "database", "schema_", "fqn", "alias",
                      "attached_node", "file_key_name", "name", "column_name"):  # fmt: skip
            assert getattr(other, field) == getattr(node, field), (uid, field)
        assert other.depends_on.nodes == node.depends_on.nodes
        assert other.meta == node.meta and other.tags == node.tags
        assert other.config == node.config and other.test_metadata == node.test_metadata
    assert encode_slim(build_slim(compacted)) == encode_slim(build_slim(plain))


def test_compact_shares_repeated_strings() -> None:
    manifest = load_manifest(FIXTURES / "integration_v12.json")
    manifest.compact()
    tests = [n for n in manifest.nodes.values() if n.attached_node and n.file_key_name]
    by_model: dict[str, list[str]] = {}
    for test in tests:
        by_model.setdefault(test.attached_node or "", []).append(test.unique_id)
    model, ids = max(by_model.items(), key=lambda item: len(item[1]))
    assert len(ids) > 1, "the fixture needs a model with several tests"
    first, second = (manifest.nodes[uid] for uid in ids[:2])
    assert first.attached_node is second.attached_node
    assert first.file_key_name is second.file_key_name
    assert model in first.depends_on.nodes and model in second.depends_on.nodes
    at = first.depends_on.nodes.index(model), second.depends_on.nodes.index(model)
    assert first.depends_on.nodes[at[0]] is second.depends_on.nodes[at[1]]
    assert first.schema_ is second.schema_ and first.package_name is second.package_name
