"""Builds the lineage upload from the decoded manifest: slim or full body, qualified names, hash.

Never decodes, never talks to the platform and never reads the environment. The qualified
names come from ``dbt_armor.project.naming`` so they match what the gate and sync use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dbt_armor import __version__
from dbt_armor.errors import ArmorError
from dbt_armor.lineage.slim import append_armor_block, build_slim, encode_slim, lineage_hash
from dbt_armor.project.manifest import Manifest
from dbt_armor.project.naming import NameResolver

ARMOR_BLOCK_VERSION = 1


@dataclass(frozen=True)
class LineagePayload:
    """One ready-to-send upload and the facts reported about it."""

    body: bytes
    slim: bool
    content_hash: str
    qualified_names: dict[str, str]
    node_count: int
    source_count: int
    exposure_count: int
    edge_count: int
    manifest_bytes: int


def qualified_names(
    manifest: Manifest, target: str | None, data_sources: Mapping[str, str], case: str
) -> tuple[str, dict[str, str]]:
    """The project's default data source, and unique_id -> qualified name for every source,
    seed, model and snapshot that resolves."""
    resolver = NameResolver(manifest, target=target, data_sources=dict(data_sources), case=case)
    ids = [
        uid
        for uid, node in manifest.nodes.items()
        if node.resource_type in ("model", "seed", "snapshot")
    ]
    ids.extend(manifest.sources)
    names: dict[str, str] = {}
    for uid in ids:
        try:
            names[uid] = resolver.resolve(uid).full
        except ArmorError:
            continue  # unresolvable names are reported by `dbt-armor map --check`
    return str(resolver.default_source), names


def armor_block(data_source: str, names: Mapping[str, str]) -> dict[str, Any]:
    """The top-level ``armor`` key added to the upload (docs/architecture.md, Contracts)."""
    return {
        "version": ARMOR_BLOCK_VERSION,
        "generator": f"dbt-armor {__version__}",
        "data_source": data_source,
        "qualified_names": dict(sorted(names.items())),
    }


def build_payload(
    manifest: Manifest,
    *,
    data_source: str,
    names: Mapping[str, str],
    slim: bool,
    raw: bytes | None = None,
    manifest_bytes: int = 0,
) -> LineagePayload:
    """Build the upload body. The hash is the same for slim and full; the full body is ``raw``
    (dbt's bytes, required when ``slim`` is false) with the armor block appended."""
    manifest.compact()  # the manifest stays alive while the upload is built beside it
    doc = build_slim(manifest)
    doc.armor = armor_block(data_source, names)
    digest = lineage_hash(doc)
    if slim:
        body = encode_slim(doc)
    elif raw is None:
        raise ValueError("a full upload needs the manifest's bytes")
    else:
        body = append_armor_block(raw, doc.armor)
    return LineagePayload(
        body=body,
        slim=slim,
        content_hash=digest,
        qualified_names=dict(names),
        node_count=len(doc.nodes),
        source_count=len(doc.sources),
        exposure_count=len(doc.exposures),
        edge_count=sum(len(parents) for parents in doc.parent_map.values()),
        manifest_bytes=len(raw) if raw is not None else manifest_bytes,
    )
