"""Last-known-good facts for ``on_api_error: cached``, kept in ``target/armor_gate_cache.json``.

Owns reading and writing that one file. The clock is a parameter; a broken cache file is
treated as empty, never as an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dbt_armor.files import write_atomic
from dbt_armor.gate.facts import SourceFact, iso

CACHE_FILE = "armor_gate_cache.json"
CACHE_VERSION = 1


def cache_path(target_dir: Path) -> Path:
    return target_dir / CACHE_FILE


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def store(path: Path, facts: Iterable[SourceFact], now: datetime) -> None:
    """Merge freshly fetched facts into the cache file (atomic replace)."""
    entries = _read(path)
    for fact in facts:
        entries[fact.qualified_name] = {"fetched_at": iso(now), "fact": fact.to_json()}
    write_atomic(path, json.dumps({"version": CACHE_VERSION, "entries": entries}, sort_keys=True))


def load(
    path: Path, wanted: Mapping[str, str], now: datetime, ttl_hours: float
) -> dict[str, SourceFact] | None:
    """Facts for every wanted source (unique_id -> qualified name) younger than the TTL.

    Returns None unless every wanted source has a usable entry: a partial cache is not
    "last known good" for the run.
    """
    entries = _read(path)
    out: dict[str, SourceFact] = {}
    for uid, qn in wanted.items():
        entry = entries.get(qn)
        if not isinstance(entry, dict):
            return None
        try:
            fetched = datetime.fromisoformat(str(entry["fetched_at"]).replace("Z", "+00:00"))
            fact = SourceFact.from_json(entry["fact"])
        except (KeyError, TypeError, ValueError):
            return None
        age = now - fetched
        if age > timedelta(hours=ttl_hours) or age < timedelta(0):
            return None
        hours = fact.hours_since_update
        if hours is not None:
            # The table kept ageing since the facts were fetched.
            hours = hours + age.total_seconds() / 3600.0
        out[uid] = SourceFact(
            unique_id=uid,
            qualified_name=qn,
            status=fact.status,
            hours_since_update=hours,
            threshold_hours=fact.threshold_hours,
            last_updated=fact.last_updated,
            checked_at=fact.checked_at,
            failures=fact.failures,
        )
    return out
