"""Last-known-good facts for ``on_api_error: cached``, and the targets the last run gated (what
the next run prefetches), kept in ``target/armor_gate_cache.json``.

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
from dbt_armor.gate.fetch import FetchTarget
from dbt_armor.timestamps import parse_timestamp

CACHE_FILE = "armor_gate_cache.json"
CACHE_VERSION = 1
_TARGET_KEYS = ("unique_id", "qualified_name", "data_source", "table_path")


def cache_path(target_dir: Path) -> Path:
    return target_dir / CACHE_FILE


def _doc(path: Path) -> dict[str, Any]:
    """The whole cache document (a fresh one when the file is missing or broken)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        data = {"version": CACHE_VERSION}
    if not isinstance(data.get("entries"), dict):
        data["entries"] = {}
    return data


def _read(path: Path) -> dict[str, Any]:
    entries: dict[str, Any] = _doc(path)["entries"]
    return entries


def store(
    path: Path,
    facts: Iterable[SourceFact],
    now: datetime,
    gated: Iterable[FetchTarget] | None = None,
) -> None:
    """Merge freshly fetched facts into the cache file (atomic replace); ``gated``, the
    targets this run asked about, replaces the list a next run prefetches (gated_targets)."""
    doc = _doc(path)
    entries = doc["entries"]
    for fact in facts:
        entries[fact.qualified_name] = {"fetched_at": iso(now), "fact": fact.to_json()}
    if gated is not None:
        doc["gated"] = [
            {"unique_id": t.unique_id, "qualified_name": t.qualified_name,
             "data_source": t.data_source, "table_path": t.table_path}
            for t in gated
        ]  # fmt: skip
    write_atomic(path, json.dumps(doc, sort_keys=True))


def gated_targets(path: Path) -> list[FetchTarget]:
    """The targets the last run that reached the platform asked about ([] when unknown)."""
    raw = _doc(path).get("gated")
    out: list[FetchTarget] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            out.append(FetchTarget(**{k: str(item[k]) for k in _TARGET_KEYS}))
        except (KeyError, TypeError):
            return []
    return out


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
            fetched = parse_timestamp(str(entry["fetched_at"]))
            fact = SourceFact.from_json(entry["fact"])
        except (KeyError, TypeError, ValueError):
            return None
        age = now - fetched
        if age > timedelta(hours=ttl_hours) or age < timedelta(0):
            return None
        out[uid] = rejudge(fact, uid, qn, age, now)
    return out


def rejudge(
    fact: SourceFact, unique_id: str, qualified_name: str, age: timedelta, now: datetime
) -> SourceFact:
    """A cached fact as it stands ``now``: its age recomputed (the cached age plus the time
    since the fetch, i.e. the last update time on our own clock; else from the cached
    last-update time) and fresh/stale re-judged against the cached threshold. A cached answer
    is never replayed as it was."""
    hours = fact.hours_since_update
    if hours is not None:
        hours = hours + age.total_seconds() / 3600.0
    elif fact.last_updated is not None:
        hours = max(0.0, (now - fact.last_updated).total_seconds() / 3600.0)
    status = fact.status
    if status == "fresh" and hours is not None and fact.threshold_hours is not None:
        status = "stale" if hours > fact.threshold_hours else "fresh"  # a table only ages
    elif status == "fresh" and hours is None:
        status = "unknown"  # nothing to re-judge from: never replay "fresh"
    return SourceFact(
        unique_id=unique_id,
        qualified_name=qualified_name,
        status=status,
        hours_since_update=hours,
        threshold_hours=fact.threshold_hours,
        last_updated=fact.last_updated,
        checked_at=fact.checked_at,
        failures=fact.failures,
    )


def oldest_age_hours(path: Path, names: Iterable[str], now: datetime) -> float:
    """Hours since the oldest of these names' cached facts was fetched (0 when none)."""
    entries = _read(path)
    oldest = 0.0
    for name in names:
        entry = entries.get(name)
        if isinstance(entry, dict):
            try:
                fetched = parse_timestamp(str(entry["fetched_at"]))
            except (KeyError, ValueError):
                continue
            oldest = max(oldest, (now - fetched).total_seconds() / 3600.0)
    return oldest
