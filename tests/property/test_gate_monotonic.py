"""Property: the gate decision is monotonic. Making a fact worse (fresh -> stale, more hours
since the last update, one more failing rule or check, a failing rule of higher severity) never
lowers a source's outcome or the overall outcome (block stays block, warn never becomes pass).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from examples_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from dbt_armor.gate.decide import decide, decide_source
from dbt_armor.gate.facts import Level, RuleFailure, SourceFact, SourceInfo
from dbt_armor.gate.policy import LEVEL_KEYS, Policy

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
SEVERITIES = ("info", "warning", "error", "critical")
SEVERITY_KEYS = ("validity_info", "validity_warning", "validity_error", "validity_critical")

levels = st.sampled_from(list(Level))
hours = st.floats(0, 1000, allow_nan=False)
maybe_hours = st.none() | st.floats(0.5, 200, allow_nan=False)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """Any policy whose validity levels do not decrease with severity (as the defaults)."""
    values = {k: draw(levels) for k in LEVEL_KEYS if k not in SEVERITY_KEYS}
    ranks = sorted(draw(st.lists(levels, min_size=4, max_size=4)), key=lambda lv: lv.rank)
    values.update(dict(zip(SEVERITY_KEYS, ranks, strict=True)))
    return Policy(
        **values,
        max_age=draw(maybe_hours),
        use_dbt_freshness=draw(st.booleans()),
    )


failures = st.builds(
    RuleFailure,
    kind=st.sampled_from(["validity", "referential"]),
    name=st.text(min_size=1, max_size=5),
    severity=st.sampled_from(SEVERITIES),
    column=st.none() | st.just("id"),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[SourceInfo, SourceFact, Policy]:
    warn_h, err_h = draw(maybe_hours), draw(maybe_hours)
    info = SourceInfo("source.p.raw.t", "wh.db.raw.t", "models/s.yml", warn_h, err_h)
    fact = SourceFact(
        "source.p.raw.t",
        "wh.db.raw.t",
        draw(st.sampled_from(["fresh", "stale"])),
        hours_since_update=draw(hours),
        threshold_hours=draw(st.none() | st.just(24.0)),
        failures=tuple(draw(st.lists(failures, max_size=3))),
    )
    return info, fact, draw(policies())


@st.composite
def worse(draw: st.DrawFn, fact: SourceFact) -> SourceFact:
    """One step that makes ``fact`` worse."""
    steps = ["hours", "add_failure"]
    if fact.status == "fresh":
        steps.append("stale")
    raisable = [i for i, f in enumerate(fact.failures) if f.kind == "validity"]
    if any(fact.failures[i].severity != "critical" for i in raisable):
        steps.append("severity")
    step = draw(st.sampled_from(steps))
    if step == "stale":
        return replace(fact, status="stale")
    if step == "hours":
        more = draw(st.floats(0.001, 500, allow_nan=False))
        return replace(fact, hours_since_update=(fact.hours_since_update or 0.0) + more)
    if step == "add_failure":
        return replace(fact, failures=(*fact.failures, draw(failures)))
    i = draw(st.sampled_from([i for i in raisable if fact.failures[i].severity != "critical"]))
    old = fact.failures[i]
    higher = draw(st.sampled_from(SEVERITIES[SEVERITIES.index(old.severity) + 1 :]))
    changed = list(fact.failures)
    changed[i] = replace(old, severity=higher)
    return replace(fact, failures=tuple(changed))


@settings(max_examples=examples(100), deadline=None)
@given(st.data(), cases())
def test_a_worse_fact_never_lowers_the_source_outcome(
    data: st.DataObject, case: tuple[SourceInfo, SourceFact, Policy]
) -> None:
    info, fact, policy = case
    before = decide_source(info, fact, policy, NOW)
    after_fact = fact
    for _ in range(data.draw(st.integers(1, 3))):
        after_fact = data.draw(worse(after_fact))
        after = decide_source(info, after_fact, policy, NOW)
        assert after.outcome.rank >= before.outcome.rank, (before.reasons, after.reasons)


@settings(max_examples=examples(50), deadline=None)
@given(st.data(), st.lists(cases(), min_size=1, max_size=4))
def test_a_worse_fact_never_lowers_the_overall_outcome(
    data: st.DataObject, many: list[tuple[SourceInfo, SourceFact, Policy]]
) -> None:
    infos, facts, pols = {}, {}, {}
    for i, (info, fact, policy) in enumerate(many):
        uid = f"source.p.raw.t{i}"
        infos[uid] = replace(info, unique_id=uid)
        facts[uid] = replace(fact, unique_id=uid)
        pols[uid] = policy
    before = decide(infos, facts, pols, NOW)
    victim = data.draw(st.sampled_from(sorted(facts)))
    facts[victim] = data.draw(worse(facts[victim]))
    after = decide(infos, facts, pols, NOW)
    assert after.outcome.rank >= before.outcome.rank
    if before.outcome.value == "block":
        assert after.outcome.value == "block"
