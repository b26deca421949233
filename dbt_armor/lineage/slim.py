"""The slim lineage document: the few manifest fields the platform's importer reads.

Pure: the decoded manifest (``dbt_armor.project.manifest``) in, the upload's structs and bytes
out. No HTTP, no environment, no clock; it never decodes manifest bytes itself.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Set
from typing import Any

import msgspec

from dbt_armor.errors import ManifestError
from dbt_armor.project.manifest import Exposure, Manifest, Node, Source, paused_gc

# Resource types that are assets in the platform's lineage graph. Tests, analyses, operations,
# macros, docs and semantic objects carry no lineage and are dropped from the slim document.
LINEAGE_NODE_TYPES = frozenset({"model", "seed", "snapshot"})

# Metadata keys that change on every dbt invocation without any change to the lineage.
VOLATILE_METADATA = frozenset({"generated_at", "invocation_id", "invocation_started_at", "env"})


class DependsOn(msgspec.Struct, omit_defaults=True):
    nodes: list[str] = []


class NodeConfig(msgspec.Struct, omit_defaults=True):
    materialized: str | None = None
    enabled: bool = True
    meta: dict[str, Any] = {}
    quoting: dict[str, Any] = {}


class SourceConfig(msgspec.Struct, omit_defaults=True):
    enabled: bool = True
    meta: dict[str, Any] = {}


class SlimNode(msgspec.Struct, omit_defaults=True):
    unique_id: str
    resource_type: str
    name: str = ""
    package_name: str = ""
    database: str | None = None
    schema: str | None = None
    alias: str | None = None
    identifier: str | None = None
    relation_name: str | None = None
    fqn: list[str] = []
    original_file_path: str | None = None
    config: NodeConfig = msgspec.field(default_factory=NodeConfig)
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)
    meta: dict[str, Any] = {}


class SlimSource(msgspec.Struct, omit_defaults=True):
    unique_id: str
    resource_type: str  # no default: omit_defaults would drop it, and the importer needs it
    source_name: str = ""
    name: str = ""
    package_name: str = ""
    database: str | None = None
    schema: str | None = None
    identifier: str | None = None
    relation_name: str | None = None
    fqn: list[str] = []
    original_file_path: str | None = None
    loaded_at_field: str | None = None
    quoting: dict[str, Any] = {}
    config: SourceConfig = msgspec.field(default_factory=SourceConfig)
    meta: dict[str, Any] = {}


class SlimExposure(msgspec.Struct, omit_defaults=True):
    unique_id: str
    resource_type: str  # no default: omit_defaults would drop it, and the importer needs it
    name: str = ""
    label: str | None = None
    type: str | None = None
    url: str | None = None
    maturity: str | None = None
    package_name: str = ""
    fqn: list[str] = []
    original_file_path: str | None = None
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)


class SlimManifest(msgspec.Struct, omit_defaults=True):
    """A manifest holding only lineage: the importer reads it like dbt's own ``manifest.json``."""

    metadata: dict[str, Any] = {}
    nodes: dict[str, SlimNode] = {}
    sources: dict[str, SlimSource] = {}
    exposures: dict[str, SlimExposure] = {}
    parent_map: dict[str, list[str]] = {}
    armor: dict[str, Any] = {}


_ENCODER = msgspec.json.Encoder(order="deterministic")


# One empty dict shared by every entry that has nothing to say: the document is only encoded,
# never changed, and tens of thousands of separate empty dicts were a fifth of its memory.
_EMPTY: dict[str, Any] = {}


def _armor_only(meta: dict[str, Any] | None) -> dict[str, Any]:
    """Of a ``meta`` dict keep only ``armor``: it can set the platform name (docs/naming.md)."""
    return {"armor": meta["armor"]} if meta and "armor" in meta else _EMPTY


def _set(value: Any) -> dict[str, Any]:
    """A typed struct as a dict of the keys it sets (quoting: unset keys mean dbt's default)."""
    if value is None:
        return _EMPTY
    found = {k: v for k in value.__struct_fields__ if (v := getattr(value, k)) is not None}
    return found or _EMPTY


def _relation(item: Node | Source) -> dict[str, Any]:
    """The identity and relation fields nodes and sources share in the upload."""
    return {
        "unique_id": item.unique_id,
        "resource_type": item.resource_type,
        "name": item.name,
        "package_name": item.package_name,
        "database": item.database,
        "schema": item.schema_,
        "identifier": item.identifier,
        "relation_name": item.relation_name,
        "fqn": item.fqn,
        "original_file_path": item.original_file_path or None,
        "meta": _armor_only(item.raw_meta),  # a source's meta already holds source_meta
    }


def _slim_node(node: Node) -> SlimNode:
    config = node.read_config()
    materialized = config.materialized
    slim_config = NodeConfig(
        sys.intern(materialized) if materialized is not None else None,
        config.enabled,
        _armor_only(config.meta),
        _set(config.quoting),
    )
    return SlimNode(  # positional, in SlimNode's field order: no dict per node (50k of them)
        node.unique_id,
        node.resource_type,
        node.name,
        node.package_name,
        node.database,
        node.schema_,
        node.alias,
        node.identifier,
        node.relation_name,
        node.fqn,
        node.original_file_path or None,
        slim_config,
        DependsOn(node.depends_on.nodes),
        _armor_only(node.raw_meta),
    )


def _slim_source(src: Source) -> SlimSource:
    config = SourceConfig(enabled=src.config.enabled, meta=_armor_only(src.config.meta))
    return SlimSource(
        **_relation(src),
        source_name=src.source_name,
        loaded_at_field=src.loaded_at_field,
        quoting=_set(src.quoting),
        config=config,
    )


def _slim_exposure(exp: Exposure) -> SlimExposure:
    return SlimExposure(
        unique_id=exp.unique_id,
        resource_type="exposure",
        name=exp.name,
        label=exp.label,
        type=exp.type,
        url=exp.url,
        maturity=exp.maturity,
        package_name=exp.package_name,
        fqn=exp.fqn,
        original_file_path=exp.original_file_path or None,
        depends_on=DependsOn(exp.depends_on.nodes),
    )


def build_slim(manifest: Manifest) -> SlimManifest:
    """The slim lineage document of a decoded manifest (tests, analyses and macros dropped).

    Builds tens of thousands of cycle-free structs: the cyclic collector is paused meanwhile.
    """
    with paused_gc():
        return _build(manifest)


def _build(manifest: Manifest) -> SlimManifest:
    nodes = {
        uid: slim
        for uid, n in manifest.nodes.items()
        if n.resource_type in LINEAGE_NODE_TYPES and (slim := _slim_node(n)).config.enabled
    }
    kept = nodes.keys() | manifest.sources.keys() | manifest.exposures.keys()
    # dbt writes parent_map[x] as sorted(x.depends_on.nodes) (a source's is []): built from the
    # entries kept here, the manifest's whole parent_map is never decoded for the upload.
    parent_map: dict[str, list[str]] = {uid: [] for uid in manifest.sources}
    for uid, node in nodes.items():
        parent_map[uid] = _kept_sorted(node.depends_on.nodes, kept)
    for uid, exposure in manifest.exposures.items():
        parent_map[uid] = _kept_sorted(exposure.depends_on.nodes, kept)
    return SlimManifest(
        metadata=msgspec.to_builtins(manifest.metadata),
        nodes=nodes,
        sources={uid: _slim_source(src) for uid, src in manifest.sources.items()},
        exposures={uid: _slim_exposure(e) for uid, e in manifest.exposures.items()},
        parent_map=parent_map,
    )


def _kept_sorted(parents: list[str], kept: Set[str]) -> list[str]:
    found = [p for p in parents if p in kept]
    found.sort()
    return found


def encode_slim(slim: SlimManifest) -> bytes:
    """Serialise the slim document (keys in a stable order)."""
    result: bytes = _ENCODER.encode(slim)
    return result


def append_armor_block(raw: bytes, armor: dict[str, Any]) -> bytes:
    """Return ``raw`` (a JSON object) with a top-level ``armor`` key added, without re-parsing.

    Used for the full upload: dbt's manifest goes out byte for byte plus the qualified names.
    """
    end = raw.rstrip()
    if not end.endswith(b"}"):
        raise ManifestError(
            "the manifest does not end with a JSON object", hint="re-run `dbt parse`"
        )
    body = end[:-1].rstrip()
    separator = b"" if body.endswith(b"{") else b","
    return body + separator + b'"armor":' + _ENCODER.encode(armor) + b"}"


def lineage_hash(slim: SlimManifest) -> str:
    """A content hash of everything lineage-relevant (volatile metadata excluded)."""
    stable_meta = {k: v for k, v in slim.metadata.items() if k not in VOLATILE_METADATA}
    digest = hashlib.sha256()
    for part in (stable_meta, slim.nodes, slim.sources, slim.exposures, slim.parent_map):
        digest.update(_ENCODER.encode(part))
        digest.update(b"\x00")
    armor = {k: v for k, v in slim.armor.items() if k != "generator"}
    digest.update(_ENCODER.encode(armor))
    return digest.hexdigest()


def edges(slim: SlimManifest) -> set[tuple[str, str]]:
    """(parent, child) unique_id pairs between lineage assets."""
    return {(p, child) for child, parents in slim.parent_map.items() for p in parents}
