"""The --wait-for-fresh loop on a fake clock: what it waits for, when it stops, what it says."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import pytest

from dbt_armor.errors import ExitCode, GateOutcome, UsageError
from dbt_armor.gate.decide import Decision, SourceDecision
from dbt_armor.gate.facts import Level, Outcome, Reason, SourceFact, SourceInfo
from dbt_armor.gate.policy import Policy, RunOptions
from dbt_armor.gate.result import GateResult
from dbt_armor.gate.verdict import Verdict
from dbt_armor.gate.wait import Backoff, parse_duration, wait_for_fresh, waiting_for

AT = datetime(2026, 12, 1, tzinfo=timezone.utc)


def result(blocks: Sequence[tuple[str, Sequence[str]]], code: int | None = None) -> GateResult:
    """A gate result whose blocked sources have the given blocking reason keys."""
    sources = []
    for table, keys in blocks:
        uid = f"source.shop.raw.{table}"
        reasons = tuple(Reason(k, Level.ERROR, f"{table}: {k}", "") for k in keys)
        outcome = Outcome.BLOCK if keys else Outcome.PASS
        info = SourceInfo(uid, f"wh.db.raw.{table}", source_name=f"raw.{table}")
        fact = SourceFact(uid, info.qualified_name, "stale" if keys else "fresh")
        sources.append(SourceDecision(info, fact, Policy(), outcome, reasons))
    worst = Outcome.BLOCK if any(s.outcome is Outcome.BLOCK for s in sources) else Outcome.PASS
    if code is None:
        code = ExitCode.BLOCKED if worst is Outcome.BLOCK else ExitCode.OK
    outcome = {
        ExitCode.OK: GateOutcome.PASS,
        ExitCode.BLOCKED: GateOutcome.BLOCK,
        ExitCode.PLATFORM_UNAVAILABLE: GateOutcome.UNAVAILABLE,
    }[ExitCode(code)]
    verdict = Verdict(outcome, int(code), frozenset(), ())
    return GateResult(Decision(worst, tuple(sources)), RunOptions(), verdict, AT)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_waits_only_for_reasons_a_late_loader_cures() -> None:
    assert waiting_for(result([("orders", ["stale"]), ("items", [])])) == ["raw.orders"]
    assert waiting_for(result([("orders", ["unknown"])])) == ["raw.orders"]
    assert waiting_for(result([("orders", ["stale", "validity_error"])])) == []
    assert waiting_for(result([("orders", ["referential"])])) == []
    assert waiting_for(result([("orders", [])])) == []
    down = result([], code=ExitCode.PLATFORM_UNAVAILABLE)
    assert waiting_for(down) == ["the platform"]


def test_stops_as_soon_as_the_source_is_fresh() -> None:
    t = FakeTime()
    answers = [result([("orders", ["stale"])])] * 2 + [result([("orders", [])])]
    seen: list[tuple[int, float]] = []
    said: list[str] = []

    def evaluate(attempt: int, remaining: float) -> GateResult:
        seen.append((attempt, remaining))
        return answers[attempt]

    out = wait_for_fresh(
        evaluate, 600, backoff=Backoff(5, 2, 60), say=said.append, clock=t.clock, sleep=t.sleep
    )
    assert out.result.exit_code == ExitCode.OK and not out.timed_out
    assert out.attempts == 3 and t.sleeps == [5, 10]
    assert [a for a, _ in seen] == [0, 1, 2] and seen[1][1] == pytest.approx(595)
    assert "waiting for raw.orders: next check in 5 s" in said[0]
    assert said[-1].startswith("waited 15.0 s")


def test_gives_up_at_the_deadline_after_one_last_check() -> None:
    t = FakeTime()
    said: list[str] = []
    out = wait_for_fresh(
        lambda a, r: result([("orders", ["stale"])]),
        12,
        backoff=Backoff(5, 2, 60),
        say=said.append,
        clock=t.clock,
        sleep=t.sleep,
    )
    assert out.timed_out and out.result.exit_code == ExitCode.BLOCKED
    assert t.sleeps == [5, 7] and t.now == 12  # the last pause is cut to the deadline
    assert out.attempts == 3 and out.waiting_for == ["raw.orders"]
    assert "gave up after 12.0 s" in said[-1] and "raw.orders" in said[-1]


def test_does_not_wait_when_waiting_cannot_help() -> None:
    t = FakeTime()
    out = wait_for_fresh(
        lambda a, r: result([("orders", ["validity_error"])]),
        600,
        clock=t.clock,
        sleep=t.sleep,
    )
    assert out.attempts == 1 and t.sleeps == [] and out.result.exit_code == ExitCode.BLOCKED


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("0.5m", 30)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "5d", "soon", "1h30m"])
def test_bad_durations_are_one_line_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="--wait-for-fresh"):
        parse_duration(text)
