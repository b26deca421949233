"""Build dbt's ``sources.json`` (schema v3, read by dbt-core 1.8-1.11) from platform facts.

Pure: takes the manifest's sources, the platform's facts and the clock; returns the document.
Status rule: the source's own warn_after/error_after on the platform's age; without them, the
platform's verdict (fresh -> pass, stale -> error). Sources without a last update are omitted,
as dbt omits sources whose freshness query failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from dbt_armor.gate.facts import SourceFact
from dbt_armor.project.manifest import Source, Threshold
from dbt_armor.timestamps import parse_timestamp

SCHEMA_V3 = "https://schemas.getdbt.com/dbt/sources/v3.json"
SECONDS = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}
# Where a fact came from, for dbt's free-form adapter_response (never holds a secret).
PRODUCER = "dbt-armor (platform freshness facts, no warehouse query)"


@dataclass(frozen=True)
class SourcesDocument:
    """The artifact and which sources had no platform facts to write."""

    document: dict[str, Any]
    written: tuple[str, ...]
    unknown: tuple[str, ...]  # not monitored, not found, or no last update known


def _utc(value: datetime) -> datetime:
    return (
        value.replace(tzinfo=timezone.utc)
        if value.tzinfo is None
        else value.astimezone(timezone.utc)
    )


def _iso(value: datetime) -> str:
    return _utc(value).isoformat()


def _seconds(rule: Threshold | None) -> float | None:
    if rule is None or rule.count is None or rule.period is None:
        return None
    return float(rule.count) * SECONDS.get(str(rule.period).lower(), 3600.0)


def _time(rule: Threshold | None) -> dict[str, Any]:
    if rule is None:
        return {"count": None, "period": None}
    return {"count": rule.count, "period": rule.period}


def status_for(source: Source, fact: SourceFact, age_s: float) -> str:
    """pass | warn | error: dbt's own thresholds when the source has them, else the platform's."""
    rule = source.freshness
    if rule is not None and rule.configured:
        error, warn = _seconds(rule.error_after), _seconds(rule.warn_after)
        if error is not None and age_s > error:
            return "error"
        if warn is not None and age_s > warn:
            return "warn"
        return "pass"
    return "error" if fact.status == "stale" else "pass"


def criteria(source: Source) -> dict[str, Any]:
    rule = source.freshness
    return {
        "warn_after": _time(rule.warn_after if rule else None),
        "error_after": _time(rule.error_after if rule else None),
        "filter": rule.filter if rule else None,
    }


def result_entry(source: Source, fact: SourceFact, now: datetime) -> dict[str, Any] | None:
    """One ``results`` entry, or None when the platform knows no last update for the table."""
    if fact.last_updated is None or fact.status in ("not_monitored", "disabled"):
        return None
    loaded = _utc(fact.last_updated)
    age = max(0.0, (_utc(now) - loaded).total_seconds())
    at = _iso(now)
    return {
        "unique_id": source.unique_id,
        "max_loaded_at": _iso(loaded),
        "snapshotted_at": at,
        "max_loaded_at_time_ago_in_s": age,
        "status": status_for(source, fact, age),
        "criteria": criteria(source),
        "adapter_response": {"_message": PRODUCER, "platform_status": fact.status},
        "timing": [],
        "thread_id": "dbt-armor",
        "execution_time": 0.0,
    }


def build_document(
    sources: Mapping[str, Source],
    facts: Mapping[str, SourceFact],
    now: datetime,
    *,
    dbt_version: str,
    elapsed: float = 0.0,
    invocation_id: str | None = None,
) -> SourcesDocument:
    """The sources.json document for ``sources`` (unique_id -> Source), sorted by unique_id."""
    results: list[dict[str, Any]] = []
    unknown: list[str] = []
    for uid in sorted(sources):
        fact = facts.get(uid)
        entry = result_entry(sources[uid], fact, now) if fact is not None else None
        if entry is None:
            unknown.append(uid)
        else:
            results.append(entry)
    generated = _utc(now).replace(tzinfo=None).isoformat() + "Z"
    document = {
        "metadata": {
            "dbt_schema_version": SCHEMA_V3,
            "dbt_version": dbt_version,
            "generated_at": generated,
            "invocation_id": invocation_id or str(uuid.uuid4()),
            "invocation_started_at": generated,
            "env": {},
        },
        "results": results,
        "elapsed_time": elapsed,
    }
    written = tuple(str(r["unique_id"]) for r in results)
    return SourcesDocument(document, written, tuple(unknown))


def max_loaded(document: Mapping[str, Any]) -> dict[str, datetime]:
    """unique_id -> max_loaded_at of a sources.json document (entries without one skipped)."""
    out: dict[str, datetime] = {}
    for entry in document.get("results") or []:
        if isinstance(entry, dict) and entry.get("max_loaded_at") and entry.get("unique_id"):
            stamp = parse_timestamp(str(entry["max_loaded_at"]))
            out[str(entry["unique_id"])] = _utc(stamp)
    return out
