"""Builds the lineage upload from ``manifest.json``: slim or full body, qualified names, hash.

Reads the manifest file; never talks to the platform and never reads the environment. The
qualified names come from ``dbt_armor.project.naming`` so they match what the gate and sync use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbt_armor import __version__
from dbt_armor.errors import ArmorError, ManifestError
from dbt_armor.lineage.slim import (
    SlimDecodeError,
    SlimManifest,
    append_armor_block,
    build_slim,
    encode_slim,
    lineage_hash,
)

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
    manifest_path: Path, target: str | None, data_sources: Mapping[str, str], case: str
) -> tuple[str, dict[str, str]]:
    """The project's default data source, and unique_id -> qualified name for every source,
    seed, model and snapshot that resolves."""
    from dbt_armor.project.manifest import load_manifest
    from dbt_armor.project.naming import NameResolver

    manifest = load_manifest(manifest_path)
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
    """The top-level ``armor`` key added to the upload (documented in docs/architecture.md)."""
    return {
        "version": ARMOR_BLOCK_VERSION,
        "generator": f"dbt-armor {__version__}",
        "data_source": data_source,
        "qualified_names": dict(sorted(names.items())),
    }


def read_manifest_bytes(manifest_path: Path) -> bytes:
    try:
        return manifest_path.read_bytes()
    except FileNotFoundError as exc:
        raise ManifestError(
            f"no manifest at {manifest_path}",
            hint="run `dbt parse` first, or pass --manifest / --project-dir",
        ) from exc
    except OSError as exc:
        raise ManifestError(f"cannot read {manifest_path}: {exc.strerror}") from exc


def build_payload(
    raw: bytes, *, data_source: str, names: Mapping[str, str], slim: bool
) -> LineagePayload:
    """Build the upload body from the manifest's bytes. The hash is the same for slim and full."""
    try:
        doc: SlimManifest = build_slim(raw)
    except SlimDecodeError as exc:
        raise ManifestError(
            f"the manifest is not valid dbt JSON: {exc}", hint="re-run `dbt parse`"
        ) from exc
    doc.armor = armor_block(data_source, names)
    digest = lineage_hash(doc)
    body = encode_slim(doc) if slim else append_armor_block(raw, doc.armor)
    return LineagePayload(
        body=body,
        slim=slim,
        content_hash=digest,
        qualified_names=dict(names),
        node_count=len(doc.nodes),
        source_count=len(doc.sources),
        exposure_count=len(doc.exposures),
        edge_count=sum(len(parents) for parents in doc.parent_map.values()),
        manifest_bytes=len(raw),
    )
