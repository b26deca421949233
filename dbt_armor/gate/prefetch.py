"""Platform reads started while dbt parses, for the sources the previous run gated.

Owns the background read and the rule for reusing its answers (``split``, pure): the verdict is
always computed on the new selection; an answer is reused only when it is still wanted and young.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dbt_armor.errors import PlatformTimeout
from dbt_armor.gate.cache import rejudge
from dbt_armor.gate.facts import SourceFact
from dbt_armor.gate.fetch import FetchTarget, fetch_facts

# The oldest prefetched answer the gate reuses; an older one is read again.
MAX_AGE_S = 30.0


@dataclass(frozen=True)
class Reuse:
    """What a prefetch can give a run: re-judged facts, and the targets still to read."""

    facts: dict[str, SourceFact]
    to_read: list[FetchTarget]


def split(
    wanted: Iterable[FetchTarget],
    asked: Iterable[FetchTarget],
    answers: Mapping[str, SourceFact] | None,
    fetched_at: datetime | None,
    now: datetime,
    max_age_s: float = MAX_AGE_S,
) -> Reuse:
    """Which of ``wanted`` a prefetch of ``asked`` answers (pure).

    An answer is reused only for a target asked exactly so (same unique_id, name, data source,
    table), fetched at most ``max_age_s`` before ``now``, and whose status is unchanged once
    its age is added (a ``fresh`` that would turn stale or unknown is read again). Reused facts
    carry the added age. Everything else, including every target when the prefetch failed, is
    left to read.
    """
    wanted = list(wanted)
    if answers is None or fetched_at is None:
        return Reuse({}, wanted)
    age = now - fetched_at
    if age < timedelta(0) or age > timedelta(seconds=max_age_s):
        return Reuse({}, wanted)
    same = {t.unique_id: t for t in asked}
    facts: dict[str, SourceFact] = {}
    to_read: list[FetchTarget] = []
    for target in wanted:
        fact = answers.get(target.unique_id)
        if same.get(target.unique_id) != target or fact is None:
            to_read.append(target)
            continue
        aged = rejudge(fact, target.unique_id, target.qualified_name, age, now)
        if aged.status != fact.status:
            to_read.append(target)
            continue
        facts[target.unique_id] = aged
    return Reuse(facts, to_read)


class Prefetch:
    """One background read of ``targets``; ``wait`` returns its answers, or None (failed or
    not done in time). Never raises: a prefetch that goes wrong only means a normal read."""

    def __init__(self, targets: Iterable[FetchTarget]) -> None:
        self.targets = list(targets)
        self.fetched_at: datetime | None = None  # when the read started (its answers' age)
        self.answers: dict[str, SourceFact] | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()

    @classmethod
    def start(
        cls,
        client: Any,
        targets: Iterable[FetchTarget],
        *,
        deadline: float,
        now: Callable[[], datetime],
        workers: int = 8,
    ) -> Prefetch:
        """Start reading on a daemon thread, bounded by ``deadline`` seconds."""
        job = cls(targets)

        def work() -> None:
            try:
                job.fetched_at = now()
                job.answers = fetch_facts(client, job.targets, workers=workers, deadline=deadline)
            except BaseException as exc:  # kept, never raised: the run reads normally
                job.error = exc
            finally:
                job._done.set()

        threading.Thread(target=work, name="dbt-armor-prefetch", daemon=True).start()
        return job

    def wait(self, timeout: float) -> dict[str, SourceFact] | None:
        """The answers if the read finished well within ``timeout`` seconds, else None."""
        if not self._done.wait(max(0.0, timeout)) or self.error is not None:
            return None
        return self.answers

    def reuse(
        self, wanted: Iterable[FetchTarget], now: Callable[[], datetime], timeout: float
    ) -> Reuse:
        """``split`` against this prefetch, waiting at most ``timeout`` seconds for it (the
        answers' age is taken after the wait)."""
        answers = self.wait(timeout)
        return split(wanted, self.targets, answers, self.fetched_at, now())


def read(
    client: Any,
    targets: list[FetchTarget],
    prefetch: Prefetch,
    now: Callable[[], datetime],
    deadline: float,
    workers: int = 8,
) -> dict[str, SourceFact]:
    """Facts for ``targets``: what the prefetch answers, the rest read now, within ``deadline``.

    Targets the prefetch never asked about are read first (while it may still be running);
    then the prefetch is awaited for what is left of the deadline and anything it could not
    answer is read again. Raises like fetch_facts (PlatformTimeout at the deadline).
    """
    end = time.monotonic() + deadline
    asked = set(prefetch.targets)
    facts = fetch_facts(
        client, [t for t in targets if t not in asked], workers=workers, deadline=deadline
    )
    left = [t for t in targets if t in asked]
    if not left:
        return facts
    got = prefetch.reuse(left, now, end - time.monotonic())
    facts.update(got.facts)
    if got.to_read:
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise PlatformTimeout(
                f"the platform did not answer within the gate deadline of {deadline:g} s",
                hint="retry later, raise --deadline, or use --on-api-error cached|open",
            )
        facts.update(fetch_facts(client, got.to_read, workers=workers, deadline=remaining))
    return facts


def starter(
    settings: Any,
    flag_policy: Sequence[str],
    overrides: Mapping[str, Any],
    target_path: Path,
    began: float,
) -> Callable[[Any], Prefetch] | None:
    """A starter (given the client) for reading the sources the last run gated, as the gate
    cache under dbt's target path lists them, within what is left of the gate's deadline.
    None when there is nothing to read or the options do not resolve (the check says why)."""
    from dbt_armor.errors import ArmorError
    from dbt_armor.gate import cache
    from dbt_armor.gate.gather import REPORT_RESERVE_S
    from dbt_armor.gate.pipeline import run_options, utcnow

    targets = cache.gated_targets(cache.cache_path(target_path))
    if not targets:
        return None
    try:
        deadline = run_options(settings, flag_policy, overrides).deadline
    except ArmorError:
        return None

    def start(client: Any) -> Prefetch:
        left = deadline - (time.monotonic() - began) - REPORT_RESERVE_S
        return Prefetch.start(client, targets, deadline=max(0.0, left), now=utcnow)

    return start
