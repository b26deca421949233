"""``--wait-for-fresh``: re-evaluate the gate with backoff until no source blocks for a reason
that waiting can cure (stale, unknown freshness, platform unreachable) or the time is up.

Owns only the loop and its messages; one evaluation (fetch, refresh, decide) is the caller's
callable, so the CLI, Dagster and Airflow wait on the same code. Clock and sleep are parameters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dbt_armor.errors import ExitCode, UsageError
from dbt_armor.gate.engine import GateResult

# Reasons a late loader cures: the table is stale, or its freshness is not known yet.
WAITABLE = frozenset({"stale", "unknown"})
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"\A\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*\Z")


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``15m`` or ``2h`` (UsageError otherwise)."""
    match = _DURATION.match(str(text).lower())
    if not match or float(match.group(1)) <= 0:
        raise UsageError(
            f"--wait-for-fresh {text!r} is not a duration",
            hint="give a positive number of seconds, or a number with s, m or h (e.g. 15m)",
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class Backoff:
    """Delays between evaluations: ``first`` seconds, times ``factor``, at most ``cap``."""

    first: float = 5.0
    factor: float = 2.0
    cap: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.first * self.factor**attempt))


@dataclass
class WaitOutcome:
    """The last gate result, how many evaluations it took and how long the wait lasted."""

    result: GateResult
    attempts: int
    waited: float
    timed_out: bool
    waiting_for: list[str] = field(default_factory=list)


def waiting_for(result: GateResult) -> list[str]:
    """The sources a wait could still cure (dbt names), or [] when waiting cannot help.

    Waiting helps only when every blocking reason of every blocked source is waitable; a
    failing validity rule, say, blocks now. A platform that could not be reached is waited
    for as a whole (``["the platform"]``).
    """
    if result.exit_code == ExitCode.PLATFORM_UNAVAILABLE:
        return ["the platform"]
    blocked = result.decision.blocked
    if not blocked:
        return []
    names: list[str] = []
    for source in blocked:
        keys = {r.key for r in source.reasons if r.level.value == "error"}
        if not keys <= WAITABLE:
            return []
        names.append(source.info.display)
    return sorted(names)


def wait_for_fresh(
    evaluate: Callable[[int, float], GateResult],
    duration: float,
    *,
    backoff: Backoff | None = None,
    say: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> WaitOutcome:
    """Evaluate until nothing waitable blocks or ``duration`` seconds have passed.

    ``evaluate(attempt, remaining)`` runs one gate evaluation; ``remaining`` (seconds left,
    at least 1) bounds its platform reads so the last one ends near the deadline. The final
    evaluation happens at the deadline, so a source that turns fresh in the last backoff
    interval still lets the run go.
    """
    steps = backoff or Backoff()
    started = clock()
    attempt = 0
    while True:
        remaining = duration - (clock() - started)
        result = evaluate(attempt, max(1.0, remaining))
        pending = waiting_for(result)
        elapsed = clock() - started
        if not pending:
            if attempt:
                say(f"waited {elapsed:.1f} s: the gate no longer waits on any source")
            return WaitOutcome(result, attempt + 1, elapsed, False)
        remaining = duration - elapsed
        if remaining <= 0:
            say(
                f"gave up after {elapsed:.1f} s (--wait-for-fresh {duration:g} s): "
                f"still waiting for {', '.join(pending)}"
            )
            return WaitOutcome(result, attempt + 1, elapsed, True, pending)
        pause = min(steps.delay(attempt), remaining)
        say(
            f"waiting for {', '.join(pending)}: next check in {pause:.0f} s "
            f"({remaining:.0f} s of {duration:g} s left)"
        )
        sleep(pause)
        attempt += 1


def checked(
    check_once: Callable[..., GateResult],
    wait: str | float | None,
    *,
    refresh: bool,
    overrides: dict[str, object],
    say: Callable[[str], None],
    backoff: Backoff | None = None,
) -> GateResult:
    """One gate check, or with ``wait`` (``--wait-for-fresh``) the waiting loop around it.

    ``check_once(refresh=..., run_overrides=...)`` is one evaluation (``gate.api.check`` with
    everything else bound). Re-checks ask the platform to refresh unless the key is read-only,
    and never let one evaluation's platform reads outlast the wait.
    """
    from dbt_armor.gate.policy import RunOptions
    from dbt_armor.gate.refresh import READ_ONLY

    if wait is None:
        return check_once(refresh=refresh, run_overrides=overrides)
    duration = wait if isinstance(wait, float | int) else parse_duration(wait)
    state = {"refresh": refresh, "allowed": True}

    def once(attempt: int, remaining: float) -> GateResult:
        run = dict(overrides)
        limit = float(run.get("deadline") or RunOptions().deadline)  # type: ignore[arg-type]
        if remaining < limit:
            run["deadline"] = remaining
        again = attempt > 0 and bool(state["allowed"])
        result = check_once(refresh=bool(state["refresh"]) or again, run_overrides=run)
        if READ_ONLY in (result.note or ""):
            state["allowed"] = state["refresh"] = False
        return result

    return wait_for_fresh(once, float(duration), backoff=backoff, say=say).result
