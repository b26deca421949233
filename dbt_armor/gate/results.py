"""Builds the gate's outputs as data: the DBT_ARMOR_RESULTS JSON for dbt and the artifact dict.

Pure: takes a GateResult, returns dicts/strings. Writing files is the caller's job.
Nothing here ever sees the API key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dbt_armor.gate.decide import SourceDecision
from dbt_armor.gate.facts import iso

if TYPE_CHECKING:
    from dbt_armor.gate.result import GateResult

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


def results_payload(result: GateResult) -> dict[str, Any]:
    """The compact structure macros read through DBT_ARMOR_RESULTS (version 1).

    ``outcome`` is the run verdict; when the gate could not ask the platform (or the platform
    knows none of the sources) every source entry says ``block`` unless on_api_error is open.
    """
    return {
        "version": RESULTS_VERSION,
        "decision": result.label,
        "outcome": result.outcome.value,
        "exit_code": result.exit_code,
        "on_api_error": result.options.on_api_error,
        "generated_at": iso(result.generated_at),
        "mode": result.options.mode,
        "sources": {d.info.unique_id: _source_entry(d) for d in result.decision.sources},
        "blocked_nodes": sorted(result.verdict.skip),
    }


def results_json(payload: Mapping[str, Any]) -> str:
    """Compact, deterministic JSON text for the environment variable."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def artifact(
    result: GateResult, *, dbt_exit_code: int | None = None, dbt_seconds: float | None = None
) -> dict[str, Any]:
    """The detailed, versioned ``target/armor_gate.json`` document (with dbt's exit code and
    time when dbt ran after the gate)."""
    sources = []
    for d in result.decision.sources:
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
    timings = dict(result.timings)
    if dbt_seconds is not None:
        timings["dbt"] = dbt_seconds
    counts = {
        "sources": len(result.decision.sources),
        "blocking": len(result.decision.blocked),
        "warning": len(result.decision.warned),
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "decision": result.label,
        "outcome": result.outcome.value,
        "exit_code": result.exit_code if dbt_exit_code is None else dbt_exit_code,
        "gate_exit_code": result.exit_code,
        "mode": result.options.mode,
        "generated_at": iso(result.generated_at),
        "on_api_error": result.options.on_api_error,
        "facts_from": result.facts_from,
        "cache_age_hours": result.cache_age_hours,
        "api_error": result.api_error,
        "note": result.note,
        "checked": dict(result.checked),
        "counts": counts,
        "sources": sources,
        "policy": {"run": result.options.__dict__.copy()},
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "requests": result.requests,
        "skipped": list(result.skipped),
        "skipped_selectors": list(result.skipped_selectors),
    }
