"""The run-level verdict as pure data: a frozen GateRequest in, a frozen Verdict out.

Turns the per-source decisions, whether the platform answered, on_api_error, the mode, the
all-not-monitored guard and the selection into the outcome, the exit code and the nodes to
skip. No I/O, no clock; the exit code comes from errors.exit_code_for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dbt_armor.errors import GateOutcome, exit_code_for
from dbt_armor.gate.decide import Decision, SourceDecision
from dbt_armor.gate.facts import Level, Outcome, Reason, SourceFact, SourceInfo

# Facts came from: the platform now, the local cache (platform down), or nowhere.
PLATFORM, CACHE, NONE = "platform", "cache", "none"


@dataclass(frozen=True)
class GateRequest:
    """Everything the run-level verdict depends on (all already fetched and decided)."""

    decision: Decision
    facts_from: str  # platform | cache | none (the platform could not be asked)
    on_api_error: str  # fail | open | cached
    mode: str  # block | skip
    selected: frozenset[str]
    affected: frozenset[str] = frozenset()  # selected nodes downstream of the blocked sources
    all_not_monitored: str = "error"  # error | accept


@dataclass(frozen=True)
class Verdict:
    """The run-level result: one outcome every output repeats, its exit code, what to skip."""

    outcome: GateOutcome
    exit_code: int
    skip: frozenset[str]
    blocking: tuple[str, ...]  # unique_ids of the sources that block (or could not be asked)

    @property
    def runs_dbt(self) -> bool:
        """Whether a wrapper goes on to run dbt after this verdict."""
        return self.exit_code == 0


def _verdict(
    outcome: GateOutcome, skip: frozenset[str] = frozenset(), blocking: tuple[str, ...] = ()
) -> Verdict:
    return Verdict(outcome, int(exit_code_for(outcome)), skip, blocking)


def nothing_known(decision: Decision) -> bool:
    """True when there are sources and the platform knows none of them (every lookup a 404)."""
    return bool(decision.sources) and all(
        d.fact.status == "not_monitored" and not d.fact.failures for d in decision.sources
    )


def conclude(request: GateRequest) -> Verdict:
    """The run-level verdict for ``request``; fail closed whenever the gate could not tell."""
    decision = request.decision
    every = tuple(d.info.unique_id for d in decision.sources)
    if not decision.sources:
        return _verdict(GateOutcome.NO_SOURCES)
    if request.facts_from == NONE:
        if request.on_api_error == "open":
            return _verdict(GateOutcome.UNCHECKED)
        return _verdict(GateOutcome.UNAVAILABLE, request.selected, every)
    if nothing_known(decision) and request.all_not_monitored != "accept":
        return _verdict(GateOutcome.NOT_CONFIGURED, request.selected, every)
    blocking = tuple(d.info.unique_id for d in decision.blocked)
    if decision.outcome is Outcome.BLOCK:
        affected = request.affected & request.selected
        if request.mode == "skip" and affected != request.selected:
            return _verdict(GateOutcome.SKIP, affected, blocking)
        return _verdict(GateOutcome.BLOCK, affected or request.selected, blocking)
    if decision.outcome is Outcome.WARN:
        return _verdict(GateOutcome.WARN)
    return _verdict(GateOutcome.PASS)


def _override(
    decision: Decision, outcome: Outcome, status: str, reason: Callable[[SourceInfo], Reason]
) -> Decision:
    sources = tuple(
        SourceDecision(
            d.info,
            SourceFact(d.info.unique_id, d.info.qualified_name, status),
            d.policy,
            outcome,
            (reason(d.info),),
        )
        for d in decision.sources
    )
    return Decision(outcome, sources)


def settle(
    decision: Decision, verdict: Verdict, api_error: str | None, on_api_error: str
) -> Decision:
    """Per-source decisions that repeat the run verdict when it overrides them, so every output
    (table, JUnit, Markdown, the results handed to dbt) says the same thing."""
    why = api_error or "no answer"
    if verdict.outcome is GateOutcome.UNAVAILABLE:
        return _override(
            decision,
            Outcome.BLOCK,
            "unavailable",
            lambda i: Reason(
                "platform_unavailable",
                Level.ERROR,
                f"{i.qualified_name} could not be checked: platform unavailable ({why})",
                "retry when the platform is reachable, or run with --on-api-error open|cached",
            ),
        )
    if verdict.outcome is GateOutcome.UNCHECKED:
        return _override(
            decision,
            Outcome.WARN,
            "unavailable",
            lambda i: Reason(
                "platform_unavailable",
                Level.WARN,
                f"{i.qualified_name} was not checked: platform unavailable ({why})",
                f"running anyway because on_api_error is {on_api_error}",
            ),
        )
    if verdict.outcome is GateOutcome.NOT_CONFIGURED:
        return _override(
            decision,
            Outcome.BLOCK,
            "not_monitored",
            lambda i: Reason(
                "all_not_monitored",
                Level.ERROR,
                f"{i.qualified_name} is not known to the platform (404), nor is any other "
                "gated source",
                "check the names with `dbt-armor map --check`, or accept it with "
                "gate.all_not_monitored: accept",
            ),
        )
    return decision
