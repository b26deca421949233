"""Remembers the last successful lineage publish per platform and data source.

Owns ``target/armor_lineage_state.json`` (hash, time, asset id, stats). Never stores the API
key, and never talks to the platform. The clock is a parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dbt_armor.files import write_atomic

STATE_FILE = "armor_lineage_state.json"
STATE_VERSION = 1


def state_key(api_url: str, data_source: str) -> str:
    """The key of one platform + data source pair (the URL without a trailing slash)."""
    return f"{api_url.rstrip('/')}#{data_source}"


@dataclass(frozen=True)
class PublishRecord:
    """What was last published to one platform + data source."""

    content_hash: str
    published_at: str
    asset_id: str
    slim: bool
    sync_stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "content_hash": self.content_hash,
            "published_at": self.published_at,
            "asset_id": self.asset_id,
            "slim": self.slim,
            "sync_stats": self.sync_stats,
        }


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def load_record(target_dir: Path, key: str) -> PublishRecord | None:
    """The last record for ``key``, or None when absent or unreadable (then we just publish)."""
    entry = _read(target_dir / STATE_FILE).get(key)
    if not isinstance(entry, dict):
        return None
    try:
        return PublishRecord(
            content_hash=str(entry["content_hash"]),
            published_at=str(entry["published_at"]),
            asset_id=str(entry["asset_id"]),
            slim=bool(entry.get("slim", True)),
            sync_stats=dict(entry.get("sync_stats") or {}),
        )
    except (KeyError, TypeError, ValueError):
        return None


def save_record(target_dir: Path, key: str, record: PublishRecord) -> Path:
    """Store ``record`` under ``key`` (other keys kept), atomically."""
    path = target_dir / STATE_FILE
    entries = _read(path)
    entries[key] = record.to_json()
    payload = json.dumps({"version": STATE_VERSION, "entries": entries}, indent=2, sort_keys=True)
    write_atomic(path, payload + "\n")
    return path


def iso(now: datetime) -> str:
    """UTC ISO-8601 with a Z suffix, to the second."""
    text = now.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")
