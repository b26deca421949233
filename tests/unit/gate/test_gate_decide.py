from __future__ import annotations

from datetime import timedelta

import pytest
from gate_helpers import NOW, fact, failure, info, one

from dbt_armor.gate.decide import decide, skip_set
from dbt_armor.gate.facts import Level, Outcome
from dbt_armor.gate.policy import Policy

LEVEL_TO_OUTCOME = {Level.ERROR: Outcome.BLOCK, Level.WARN: Outcome.WARN, Level.OFF: Outcome.PASS}


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize("status", ["stale", "unknown", "disabled", "not_monitored"])
def test_every_status_by_every_level(status: str, level: Level) -> None:
    policy = Policy(**{("stale" if status == "stale" else status): level})
    d = one(fact(status=status, hours_since_update=30.2), policy)
    assert d.outcome is LEVEL_TO_OUTCOME[level]
    src = d.sources[0]
    if level is Level.OFF:
        assert src.reasons == ()
    else:
        assert [r.key for r in src.reasons] == [status]


@pytest.mark.parametrize("level", list(Level))
def test_fresh_always_passes(level: Level) -> None:
    policy = Policy(**{k: level for k in ("stale", "unknown", "disabled", "not_monitored")})
    assert one(fact(status="fresh"), policy).outcome is Outcome.PASS


def test_stale_message_names_age_threshold_and_fix() -> None:
    d = one(fact(status="stale", hours_since_update=30.2, threshold_hours=24.0))
    r = d.sources[0].reasons[0]
    assert r.message == "warehouse.demo.raw.orders is 30.2 h old (threshold 24 h)"
    assert "check the loader" in r.hint and "--policy stale=warn" in r.hint


def test_max_age_overrides_platform_status_both_ways() -> None:
    # platform says stale, but max_age is generous: passes
    assert one(fact(status="stale", hours_since_update=30.0), Policy(max_age=48)).outcome is (
        Outcome.PASS
    )
    # platform says fresh, but older than max_age: blocks
    d = one(fact(status="fresh", hours_since_update=7.0), Policy(max_age=6))
    assert d.outcome is Outcome.BLOCK
    assert "max_age 6 h" in d.sources[0].reasons[0].message
    # equal is not older
    assert one(fact(status="fresh", hours_since_update=6.0), Policy(max_age=6)).outcome is (
        Outcome.PASS
    )


def test_hours_computed_from_last_updated_with_given_clock() -> None:
    f = fact(status="fresh", hours_since_update=None, last_updated=NOW - timedelta(hours=10))
    assert one(f, Policy(max_age=9)).outcome is Outcome.BLOCK
    assert one(f, Policy(max_age=11)).outcome is Outcome.PASS


def test_use_dbt_freshness_warn_and_error_after() -> None:
    i = info(dbt_warn_hours=12.0, dbt_error_hours=24.0)
    p = Policy(use_dbt_freshness=True)
    assert one(fact(hours_since_update=5.0), p, i).outcome is Outcome.PASS
    warn = one(fact(hours_since_update=13.0), p, i)
    assert warn.outcome is Outcome.WARN
    assert "dbt freshness threshold 12 h" in warn.sources[0].reasons[0].message
    assert one(fact(hours_since_update=25.0), p, i).outcome is Outcome.BLOCK
    # stale=warn caps the error_after breach at a warning
    assert (
        one(
            fact(hours_since_update=25.0), Policy(use_dbt_freshness=True, stale=Level.WARN), i
        ).outcome
        is Outcome.WARN
    )
    # without dbt thresholds the platform status decides
    assert one(fact(status="stale", hours_since_update=25.0), p).outcome is Outcome.BLOCK


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", Outcome.BLOCK),
        ("error", Outcome.BLOCK),
        ("warning", Outcome.WARN),
        ("info", Outcome.PASS),
        ("CRITICAL", Outcome.BLOCK),
    ],
)
def test_validity_by_severity_defaults(severity: str, expected: Outcome) -> None:
    d = one(fact(failures=(failure(severity),)))
    assert d.outcome is expected


def test_validity_policy_override_and_referential() -> None:
    f = fact(failures=(failure("critical"),))
    assert one(f, Policy(validity_critical=Level.WARN)).outcome is Outcome.WARN
    ref = fact(failures=(failure("warning", kind="referential"),))
    d = one(ref)
    assert d.outcome is Outcome.BLOCK
    assert d.sources[0].reasons[0].key == "referential"
    assert one(ref, Policy(referential=Level.OFF)).outcome is Outcome.PASS


def test_overall_is_worst_and_sources_sorted() -> None:
    infos = {i.unique_id: i for i in (info("b"), info("a"), info("c"))}
    facts = {
        "source.pkg.raw.a": fact("a", status="unknown"),
        "source.pkg.raw.b": fact("b", status="stale"),
        "source.pkg.raw.c": fact("c"),
    }
    d = decide(infos, facts, {k: Policy() for k in infos}, NOW)
    assert d.outcome is Outcome.BLOCK
    assert [s.info.unique_id for s in d.sources] == sorted(infos)
    assert [s.info.unique_id for s in d.blocked] == ["source.pkg.raw.b"]
    assert [s.info.unique_id for s in d.warned] == ["source.pkg.raw.a"]


def test_empty_decision_passes() -> None:
    assert decide({}, {}, {}, NOW).outcome is Outcome.PASS


CHILDREN = {
    "source.p.raw.a": ["model.p.stg_a"],
    "source.p.raw.b": ["model.p.stg_b"],
    "model.p.stg_a": ["model.p.fct"],
    "model.p.stg_b": ["model.p.fct", "model.p.dim_b"],
    "model.p.fct": [],
    "model.p.dim_b": [],
}


def _descendants(ids: set[str]) -> set[str]:
    out: set[str] = set()
    todo = list(ids)
    while todo:
        for child in CHILDREN.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def test_skip_set_is_selected_descendants_only() -> None:
    selected = {"model.p.stg_a", "model.p.stg_b", "model.p.fct", "model.p.dim_b"}
    assert skip_set(["source.p.raw.a"], selected, _descendants) == {"model.p.stg_a", "model.p.fct"}
    assert skip_set(["source.p.raw.b"], {"model.p.dim_b", "model.p.stg_a"}, _descendants) == {
        "model.p.dim_b"
    }
    assert skip_set([], selected, _descendants) == set()
