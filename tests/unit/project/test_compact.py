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


def test_compact_shares_the_name_and_drops_empty_meta_and_tags() -> None:
    manifest = load_manifest(FIXTURES / "integration_v12.json")
    before = {uid: (n.raw_meta, n.raw_tags) for uid, n in manifest.nodes.items()}
    manifest.compact()
    named = [n for n in manifest.nodes.values() if n.alias == n.name]
    assert named and all(n.alias is n.name for n in named)
    empty = [uid for uid, (meta, tags) in before.items() if not meta and not tags]
    assert empty, "the fixture needs nodes without meta or tags"
    for uid in empty:
        node = manifest.nodes[uid]
        assert node.raw_meta is None and node.raw_tags is None
        assert node.meta == {} and node.tags == []
    kept = [uid for uid, (meta, _) in before.items() if meta]
    assert all(manifest.nodes[uid].raw_meta == before[uid][0] for uid in kept)
