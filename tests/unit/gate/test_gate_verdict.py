"""conclude(): the run-level verdict as a table (no HTTP, no dbt, no clock), and settle()."""

from __future__ import annotations

import pytest
from gate_helpers import NOW, fact, info

from dbt_armor.errors import ExitCode, GateOutcome, exit_code_for
from dbt_armor.gate.decide import Decision, decide
from dbt_armor.gate.policy import Policy
from dbt_armor.gate.verdict import GateRequest, conclude, nothing_known, settle

ORDERS, CUSTOMERS = "source.pkg.raw.orders", "source.pkg.raw.customers"
STG_O, STG_C = "model.pkg.stg_orders", "model.pkg.stg_customers"
SELECTED = frozenset({STG_O, STG_C})


def _decision(orders: str, customers: str, policy: Policy | None = None) -> Decision:
    infos = {i.unique_id: i for i in (info("orders"), info("customers"))}
    facts = {
        ORDERS: fact("orders", orders, hours_since_update=30.0 if orders == "stale" else 1.0),
        CUSTOMERS: fact("customers", customers),
    }
    return decide(infos, facts, {k: policy or Policy() for k in infos}, NOW)


# (orders status, customers status, facts_from, on_api_error, mode, all_not_monitored,
#  expected outcome, expected skip set)
CASES = [
    ("fresh", "fresh", "platform", "fail", "block", "error", GateOutcome.PASS, set()),
    ("unknown", "fresh", "platform", "fail", "block", "error", GateOutcome.WARN, set()),
    ("stale", "fresh", "platform", "fail", "block", "error", GateOutcome.BLOCK, {STG_O}),
    ("stale", "fresh", "platform", "fail", "skip", "error", GateOutcome.SKIP, {STG_O}),
    ("stale", "fresh", "cache", "cached", "block", "error", GateOutcome.BLOCK, {STG_O}),
    ("fresh", "fresh", "cache", "cached", "block", "error", GateOutcome.PASS, set()),
    ("fresh", "fresh", "none", "fail", "block", "error", GateOutcome.UNAVAILABLE, SELECTED),
    ("fresh", "fresh", "none", "cached", "block", "error", GateOutcome.UNAVAILABLE, SELECTED),
    ("fresh", "fresh", "none", "open", "block", "error", GateOutcome.UNCHECKED, set()),
    ("not_monitored", "not_monitored", "platform", "fail", "block", "error",
     GateOutcome.NOT_CONFIGURED, SELECTED),
    ("not_monitored", "not_monitored", "platform", "fail", "block", "accept", GateOutcome.WARN,
     set()),
    ("not_monitored", "fresh", "platform", "fail", "block", "error", GateOutcome.WARN, set()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("orders", "customers", "facts_from", "on_api_error", "mode", "guard", "outcome", "skip"),
    CASES,
)
def test_verdict_table(
    orders: str,
    customers: str,
    facts_from: str,
    on_api_error: str,
    mode: str,
    guard: str,
    outcome: GateOutcome,
    skip: set[str],
) -> None:
    decision = _decision(orders, customers)
    blocked = {n for d in decision.blocked for n in d.info.feeds}
    request = GateRequest(
        decision, facts_from, on_api_error, mode, SELECTED, frozenset(blocked), guard
    )
    verdict = conclude(request)
    assert verdict.outcome is outcome
    assert verdict.exit_code == int(exit_code_for(outcome))
    assert verdict.skip == frozenset(skip)
    assert verdict.runs_dbt == (verdict.exit_code == 0)


def test_skip_mode_that_would_skip_everything_blocks() -> None:
    decision = _decision("stale", "fresh")
    request = GateRequest(
        decision, "platform", "fail", "skip", frozenset({STG_O}), frozenset({STG_O})
    )
    assert conclude(request).outcome is GateOutcome.BLOCK


def test_no_sources_is_its_own_outcome() -> None:
    verdict = conclude(
        GateRequest(
            Decision(decide({}, {}, {}, NOW).outcome, ()), "none", "fail", "block", SELECTED
        )
    )
    assert (verdict.outcome, verdict.exit_code) == (GateOutcome.NO_SOURCES, 0)


def test_exit_codes_come_from_one_table() -> None:
    assert exit_code_for(GateOutcome.BLOCK) is ExitCode.BLOCKED
    assert exit_code_for(GateOutcome.UNAVAILABLE) is ExitCode.PLATFORM_UNAVAILABLE
    assert exit_code_for(GateOutcome.NOT_CONFIGURED) is ExitCode.USAGE
    assert {exit_code_for(o) for o in GateOutcome} <= set(ExitCode)


@pytest.mark.parametrize(
    ("facts_from", "on_api_error", "per_source", "status"),
    [("none", "fail", "block", "unavailable"), ("none", "open", "warn", "unavailable")],
)
def test_settle_makes_every_source_repeat_a_platform_down_verdict(
    facts_from: str, on_api_error: str, per_source: str, status: str
) -> None:
    decision = _decision("fresh", "fresh")
    verdict = conclude(GateRequest(decision, facts_from, on_api_error, "block", SELECTED))
    settled = settle(decision, verdict, "connection refused", on_api_error)
    assert {d.outcome.value for d in settled.sources} == {per_source}
    assert {d.fact.status for d in settled.sources} == {status}
    assert all("connection refused" in d.reasons[0].message for d in settled.sources)


def test_settle_blocks_every_source_when_none_is_known() -> None:
    decision = _decision("not_monitored", "not_monitored")
    assert nothing_known(decision)
    verdict = conclude(GateRequest(decision, "platform", "fail", "block", SELECTED))
    settled = settle(decision, verdict, None, "fail")
    assert [d.outcome.value for d in settled.sources] == ["block", "block"]
    assert "dbt-armor map --check" in settled.sources[0].reasons[0].hint


def test_hints_never_suggest_the_policy_in_force() -> None:
    warned = _decision("not_monitored", "unknown")
    for d in warned.sources:
        for r in d.reasons:
            assert r.level.value == "warn" and "--policy" not in r.hint
    blocked = _decision("stale", "fresh")
    (reason,) = blocked.blocked[0].reasons
    assert "--policy stale=warn" in reason.hint
    relaxed = _decision("stale", "fresh", Policy(stale=Policy().unknown))
    assert "--policy" not in relaxed.warned[0].reasons[0].hint
