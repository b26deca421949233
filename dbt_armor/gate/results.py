"""Builds the gate's outputs as data: the DBT_ARMOR_RESULTS JSON for dbt and the artifact dict.

Pure: takes a Decision and run details, returns dicts/strings. Writing files is the caller's job.
Nothing here ever sees the API key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from dbt_armor.gate.decide import Decision, SourceDecision
from dbt_armor.gate.facts import iso
from dbt_armor.gate.policy import RunOptions

SCHEMA_VERSION = 1
RESULTS_VERSION = 1


def _source_entry(d: SourceDecision) -> dict[str, Any]:
    fact = d.fact
    return {
        "qn": d.info.qualified_name,
        "status": fact.status,
        "outcome": d.outcome.value,
        "hours": fact.hours_since_update,
        "threshold": fact.threshold_hours,
        "last_updated": iso(fact.last_updated),
        "reasons": [r.message for r in d.reasons],
    }


def results_payload(
    decision: Decision,
    *,
    mode: str,
    generated_at: datetime,
    blocked_nodes: Iterable[str] = (),
    decision_label: str | None = None,
) -> dict[str, Any]:
    """The compact structure macros read through DBT_ARMOR_RESULTS (version 1)."""
    return {
        "version": RESULTS_VERSION,
        "decision": decision_label or decision.outcome.value,
        "generated_at": iso(generated_at),
        "mode": mode,
        "sources": {d.info.unique_id: _source_entry(d) for d in decision.sources},
        "blocked_nodes": sorted(blocked_nodes),
    }


def results_json(payload: Mapping[str, Any]) -> str:
    """Compact, deterministic JSON text for the environment variable."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def artifact(
    decision: Decision,
    *,
    options: RunOptions,
    generated_at: datetime,
    timings: Mapping[str, float],
    requests: int,
    skipped: Iterable[str] = (),
    skipped_selectors: Iterable[str] = (),
    decision_label: str | None = None,
    api_error: str | None = None,
    facts_from: str = "platform",
    exit_code: int | None = None,
) -> dict[str, Any]:
    """The detailed, versioned ``target/armor_gate.json`` document."""
    sources = []
    for d in decision.sources:
        entry = d.fact.to_json()
        entry.update(
            {
                "outcome": d.outcome.value,
                "reasons": [r.to_json() for r in d.reasons],
                "original_file_path": d.info.original_file_path,
                "feeds": sorted(d.info.feeds),
                "policy": d.policy.to_json(),
            }
        )
        sources.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "decision": decision_label or decision.outcome.value,
        "mode": options.mode,
        "generated_at": iso(generated_at),
        "on_api_error": options.on_api_error,
        "facts_from": facts_from,
        "api_error": api_error,
        "sources": sources,
        "policy": {"run": options.__dict__.copy()},
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "requests": requests,
        "skipped": sorted(skipped),
        "skipped_selectors": sorted(skipped_selectors),
        "exit_code": exit_code,
    }
