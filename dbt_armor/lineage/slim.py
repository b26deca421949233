"""The slim lineage document: the few manifest fields the platform's importer reads.

Pure: bytes in, typed values and bytes out. No HTTP, no environment, no clock. Decoding goes
straight from the manifest's bytes into small structs, so unread fields are never materialised.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from dbt_armor.project.manifest import paused_gc

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
    resource_type: str = "source"
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
    source_meta: dict[str, Any] = {}


class SlimExposure(msgspec.Struct, omit_defaults=True):
    unique_id: str
    resource_type: str = "exposure"
    name: str = ""
    label: str | None = None
    type: str | None = None
    url: str | None = None
    maturity: str | None = None
    package_name: str = ""
    fqn: list[str] = []
    original_file_path: str | None = None
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)


class _RawManifest(msgspec.Struct):
    """Decoding view of a manifest: every node is read as a slim node, whatever its type."""

    metadata: dict[str, Any] = {}
    nodes: dict[str, SlimNode] = {}
    sources: dict[str, SlimSource] = {}
    exposures: dict[str, SlimExposure] = {}
    parent_map: dict[str, list[str]] = {}


class SlimManifest(msgspec.Struct, omit_defaults=True):
    """A manifest holding only lineage: the importer reads it like dbt's own ``manifest.json``."""

    metadata: dict[str, Any] = {}
    nodes: dict[str, SlimNode] = {}
    sources: dict[str, SlimSource] = {}
    exposures: dict[str, SlimExposure] = {}
    parent_map: dict[str, list[str]] = {}
    armor: dict[str, Any] = {}


_DECODER = msgspec.json.Decoder(_RawManifest)
_ENCODER = msgspec.json.Encoder(order="deterministic")


class SlimDecodeError(ValueError):
    """The bytes are not a dbt manifest (the caller turns this into a ManifestError)."""


def _armor_only(meta: dict[str, Any]) -> dict[str, Any]:
    """Of a ``meta`` dict keep only ``armor``: it can set the platform name (docs/naming.md)."""
    return {"armor": meta["armor"]} if "armor" in meta else {}


def _slim_node(node: SlimNode) -> SlimNode:
    config = msgspec.structs.replace(node.config, meta=_armor_only(node.config.meta))
    return msgspec.structs.replace(node, config=config, meta=_armor_only(node.meta))


def _slim_source(src: SlimSource) -> SlimSource:
    config = SourceConfig(enabled=src.config.enabled, meta=_armor_only(src.config.meta))
    return msgspec.structs.replace(
        src,
        config=config,
        meta=_armor_only(src.meta),
        source_meta=_armor_only(src.source_meta),
    )


def build_slim(raw: bytes) -> SlimManifest:
    """Decode a manifest's bytes into the slim lineage document (tests and macros dropped)."""
    try:
        with paused_gc():
            doc = _DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SlimDecodeError(str(exc)) from exc
    nodes = {
        uid: _slim_node(n)
        for uid, n in doc.nodes.items()
        if n.resource_type in LINEAGE_NODE_TYPES and n.config.enabled
    }
    kept = nodes.keys() | doc.sources.keys() | doc.exposures.keys()
    parent_map = {
        child: [p for p in parents if p in kept]
        for child, parents in doc.parent_map.items()
        if child in kept
    }
    return SlimManifest(
        metadata=doc.metadata,
        nodes=nodes,
        sources={uid: _slim_source(src) for uid, src in doc.sources.items()},
        exposures=doc.exposures,
        parent_map=parent_map,
    )


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
        raise SlimDecodeError("the manifest does not end with a JSON object")
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
