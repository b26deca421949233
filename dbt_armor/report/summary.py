"""The sentences every gate report shares: what was checked (target, data sources and how each
was chosen) and the final verdict line, derived from one GateResult so no output can disagree.

Pure text; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbt_armor.errors import GateOutcome
from dbt_armor.gate.result import GateResult

ICONS = {
    GateOutcome.PASS: "✅ pass",
    GateOutcome.NO_SOURCES: "✅ pass (no upstream sources)",
    GateOutcome.WARN: "⚠️ warn",
    GateOutcome.UNCHECKED: "⚠️ unchecked (platform unavailable, on_api_error=open)",
    GateOutcome.BLOCK: "⛔ block",
    GateOutcome.SKIP: "⛔ skip (affected nodes skipped)",
    GateOutcome.UNAVAILABLE: "⛔ platform unavailable (not run)",
    GateOutcome.NOT_CONFIGURED: "⛔ not configured (no gated source known to the platform)",
}


def checked_line(checked: Mapping[str, Any]) -> str:
    """``target prod (flag), data source warehouse (data_sources['prod'])``."""
    target = checked.get("target") or {}
    parts = [f"target {target.get('value') or '(unknown)'} ({target.get('from', 'unresolved')})"]
    used = checked.get("data_sources") or {}
    sources = [f"{name} ({info.get('from')})" for name, info in sorted(used.items())]
    if sources:
        noun = "data source" if len(sources) == 1 else "data sources"
        parts.append(f"{noun} {', '.join(sources)}")
    return ", ".join(parts)


def _counts(result: GateResult) -> str:
    d = result.decision
    return f"{len(d.sources)} source(s), {len(d.blocked)} blocking, {len(d.warned)} warning"


def _facts(result: GateResult) -> str:
    if result.facts_from == "cache" and result.cache_age_hours is not None:
        return f"; facts from the cache, {result.cache_age_hours:.1f} h old"
    return ""


def guard_line(result: GateResult) -> str:
    """The one line for the all-not-monitored configuration error."""
    checked = result.checked
    target = (checked.get("target") or {}).get("value") or "(unknown)"
    sources = ", ".join(sorted(checked.get("data_sources") or {})) or "(none)"
    tried = ", ".join(checked.get("examples") or [])
    return (
        f"the platform knows none of the {len(result.decision.sources)} gated source(s) for "
        f"target {target} (data source {sources}; tried {tried}): check the names with "
        "`dbt-armor map --check`, or set gate.all_not_monitored: accept in dbt_armor.yml"
    )


def final_line(result: GateResult) -> str:
    """The last line of the terminal report; its words match the exit code."""
    outcome = result.outcome
    counts = _counts(result)
    if outcome is GateOutcome.NO_SOURCES:
        return "Gate decision: pass (no upstream sources in the selection)"
    if outcome is GateOutcome.UNAVAILABLE:
        return (
            f"Gate decision: platform unavailable, not running ({counts} not checked; "
            f"on_api_error={result.options.on_api_error}; exit {result.exit_code})"
        )
    if outcome is GateOutcome.UNCHECKED:
        return f"Gate decision: unchecked, running anyway ({counts} not checked; on_api_error=open)"
    if outcome is GateOutcome.NOT_CONFIGURED:
        return f"Gate decision: not configured (exit {result.exit_code}): {guard_line(result)}"
    if outcome is GateOutcome.SKIP:
        return (
            f"Gate decision: block, skipping {len(result.skipped)} node(s) ({counts}"
            f"{_facts(result)})"
        )
    return f"Gate decision: {outcome.value} ({counts}{_facts(result)})"


def naming_line(command: str, invocation: Any, resolver: Any) -> str:
    """``dbt-armor map: target prod (env), data source warehouse (data_sources['prod'])``:
    the one line map, sync, lineage and ci print about what their names are resolved for."""
    target = invocation.target
    return (
        f"dbt-armor {command}: target {target.value or '(unknown)'} ({target.origin}), "
        f"data source {resolver.default_source} ({resolver.default_source_from})"
    )
