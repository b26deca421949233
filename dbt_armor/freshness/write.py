"""Write target/sources.json from the platform: names, one batched fact read, atomic write.

The I/O shell around freshness.artifact. Reads facts through gate.fetch and names through
project.naming (one reader each); never opens a warehouse connection.
"""

from __future__ import annotations

import importlib.metadata
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dbt_armor.files import write_atomic as write_text
from dbt_armor.freshness.artifact import SourcesDocument, build_document
from dbt_armor.gate.fetch import fetch_facts, targets_from
from dbt_armor.project.manifest import Manifest
from dbt_armor.project.naming import NameResolver

SOURCES_FILE = "sources.json"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def installed_dbt_version() -> str:
    """dbt-core's version when installed here (it reads the file), else a neutral marker."""
    try:
        return importlib.metadata.version("dbt-core")
    except importlib.metadata.PackageNotFoundError:
        return "1.11.0"


@dataclass(frozen=True)
class WriteReport:
    """What one write produced."""

    path: Path
    sources: SourcesDocument
    requests: int
    seconds: float

    @property
    def written(self) -> tuple[str, ...]:
        return self.sources.written

    @property
    def unknown(self) -> tuple[str, ...]:
        return self.sources.unknown


def collect(
    manifest: Manifest,
    source_ids: Iterable[str],
    *,
    settings: Any,
    client: Any,
    target: str | None,
    now: Callable[[], datetime] = utcnow,
    deadline: float = 60.0,
) -> SourcesDocument:
    """Read the platform's freshness facts for ``source_ids`` and build the document."""
    started = time.perf_counter()
    ids = sorted(set(source_ids))
    resolver = NameResolver(
        manifest,
        target,
        getattr(settings, "data_sources", {}),
        getattr(settings, "naming_case", "auto"),
    )
    resolved = resolver.resolve_many(ids)
    facts = fetch_facts(client, targets_from(resolved), quality=False, deadline=deadline)
    sources = {uid: manifest.sources[uid] for uid in ids}
    return build_document(
        sources,
        facts,
        now(),
        dbt_version=installed_dbt_version(),
        elapsed=round(time.perf_counter() - started, 4),
    )


def write_sources(
    manifest: Manifest,
    source_ids: Iterable[str],
    path: Path,
    *,
    settings: Any,
    client: Any,
    target: str | None,
    now: Callable[[], datetime] = utcnow,
    deadline: float = 60.0,
) -> WriteReport:
    """Collect, then write ``path`` atomically (nothing is written when the platform fails)."""
    started = time.perf_counter()
    before = int(getattr(getattr(client, "stats", None), "requests", 0) or 0)
    doc = collect(
        manifest,
        source_ids,
        settings=settings,
        client=client,
        target=target,
        now=now,
        deadline=deadline,
    )
    write_text(path, json.dumps(doc.document, indent=2) + "\n")
    after = int(getattr(getattr(client, "stats", None), "requests", 0) or 0)
    return WriteReport(path, doc, after - before, time.perf_counter() - started)
