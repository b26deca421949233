"""The gate decision: facts + policy -> per-source outcome with reasons, and the skip set.

Pure: no HTTP, no environment, no clock (``now`` is a parameter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from dbt_armor.gate.facts import Level, Outcome, Reason, RuleFailure, SourceFact, SourceInfo
from dbt_armor.gate.policy import Policy

SEVERITY_KEYS = {
    "critical": "validity_critical",
    "error": "validity_error",
    "warning": "validity_warning",
    "warn": "validity_warning",
    "info": "validity_info",
}


@dataclass(frozen=True)
class SourceDecision:
    """The outcome for one upstream source."""

    info: SourceInfo
    fact: SourceFact
    policy: Policy
    outcome: Outcome
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Decision:
    """The overall outcome of a gate run."""

    outcome: Outcome
    sources: tuple[SourceDecision, ...]

    @property
    def blocked(self) -> list[SourceDecision]:
        return [s for s in self.sources if s.outcome is Outcome.BLOCK]

    @property
    def warned(self) -> list[SourceDecision]:
        return [s for s in self.sources if s.outcome is Outcome.WARN]


def relax(hint: str, key: str, level: Level) -> str:
    """``hint``, plus the policy change that would let the run go on, only when it would
    change the outcome (a finding at ``error``); never the policy already in force."""
    return f"{hint}, or rerun with --policy {key}=warn" if level is Level.ERROR else hint


def _hours(fact: SourceFact, now: datetime) -> float | None:
    if fact.hours_since_update is not None:
        return fact.hours_since_update
    if fact.last_updated is not None:
        return max(0.0, (now - fact.last_updated).total_seconds() / 3600.0)
    return None


def _fmt(hours: float) -> str:
    return f"{hours:.1f} h" if hours % 1 else f"{hours:.0f} h"


def _freshness_reasons(
    info: SourceInfo, fact: SourceFact, policy: Policy, now: datetime
) -> list[Reason]:
    name = info.qualified_name
    status = fact.status
    if status in ("unknown", "disabled", "not_monitored"):
        text = {
            "unknown": f"{name} has unknown freshness on the platform (not enough history yet)",
            "disabled": f"{name} has freshness monitoring disabled on the platform",
            "not_monitored": f"{name} is not monitored on the platform (404)",
        }[status]
        hint = {
            "unknown": "wait for the platform to learn the cadence",
            "disabled": "enable monitoring for the table",
            "not_monitored": "add the table to the platform or check its qualified name "
            "(dbt-armor map --check)",
        }[status]
        level = policy.level(status)
        return [Reason(status, level, text, relax(hint, status, level))]
    hours = _hours(fact, now)
    level = policy.stale
    if (
        policy.use_dbt_freshness
        and hours is not None
        and (info.dbt_error_hours is not None or info.dbt_warn_hours is not None)
    ):
        if info.dbt_error_hours is not None and hours > info.dbt_error_hours:
            threshold = info.dbt_error_hours
        elif info.dbt_warn_hours is not None and hours > info.dbt_warn_hours:
            threshold, level = info.dbt_warn_hours, min(level, Level.WARN, key=lambda x: x.rank)
        else:
            return []
        text = f"{name} is {_fmt(hours)} old (dbt freshness threshold {_fmt(threshold)})"
        return [Reason("stale", level, text, relax("check the loader", "stale", level))]
    if policy.max_age is not None and hours is not None:
        if hours <= policy.max_age:
            return []
        text = f"{name} is {_fmt(hours)} old (max_age {_fmt(policy.max_age)})"
        return [Reason("stale", level, text, relax("check the loader", "stale", level))]
    if status != "stale":
        return []
    if hours is not None and fact.threshold_hours is not None:
        text = f"{name} is {_fmt(hours)} old (threshold {_fmt(fact.threshold_hours)})"
    elif hours is not None:
        text = f"{name} is stale: {_fmt(hours)} since its last update"
    else:
        text = f"{name} is stale on the platform"
    return [Reason("stale", level, text, relax("check the loader", "stale", level))]


def _counts(failure: RuleFailure, noun: str) -> str:
    if failure.invalid_count is None:
        return ""
    rows = "row" if failure.invalid_count == 1 else "rows"
    pct = "" if failure.invalid_percent is None else f" ({failure.invalid_percent:.3g}%)"
    return f": {failure.invalid_count} {noun} {rows}{pct}"


def _rule_reasons(info: SourceInfo, fact: SourceFact, policy: Policy) -> list[Reason]:
    out: list[Reason] = []
    for failure in fact.failures:
        if failure.kind == "referential":
            key = "referential"
            link = f" ({failure.detail})" if failure.detail else ""
            what = f"referential check {failure.name!r}{link} fails{_counts(failure, 'orphan')}"
            hint = relax("fix the orphan rows", key, policy.level(key))
        else:
            key = SEVERITY_KEYS.get(failure.severity.lower(), "validity_warning")
            parts = [p for p in (failure.detail, failure.column) if p]
            about = " on ".join(parts) + ", " if parts else ""
            what = (
                f"validity rule {failure.name!r} ({about}{failure.severity}) fails"
                f"{_counts(failure, 'invalid')}"
            )
            hint = relax("fix the data", key, policy.level(key))
        out.append(Reason(key, policy.level(key), f"{info.qualified_name}: {what}", hint))
    return out


def decide_source(
    info: SourceInfo, fact: SourceFact, policy: Policy, now: datetime
) -> SourceDecision:
    """Decide one source: every finding becomes a reason at its policy level."""
    reasons = [
        r
        for r in (*_freshness_reasons(info, fact, policy, now), *_rule_reasons(info, fact, policy))
        if r.level is not Level.OFF
    ]
    outcome = Outcome.PASS
    if any(r.level is Level.ERROR for r in reasons):
        outcome = Outcome.BLOCK
    elif reasons:
        outcome = Outcome.WARN
    return SourceDecision(info, fact, policy, outcome, tuple(reasons))


def decide(
    infos: Mapping[str, SourceInfo],
    facts: Mapping[str, SourceFact],
    policies: Mapping[str, Policy],
    now: datetime,
) -> Decision:
    """Decide every source; the overall outcome is the worst source outcome."""
    decisions = tuple(
        decide_source(infos[uid], facts[uid], policies[uid], now) for uid in sorted(infos)
    )
    worst = max((d.outcome for d in decisions), key=lambda o: o.rank, default=Outcome.PASS)
    return Decision(worst, decisions)


def skip_set(
    blocked_sources: Iterable[str],
    selected: Iterable[str],
    descendants: Callable[[set[str]], set[str]],
) -> set[str]:
    """The selected nodes downstream of any blocked source (what skip mode excludes)."""
    blocked = set(blocked_sources)
    if not blocked:
        return set()
    return descendants(blocked) & set(selected)
