"""Reads the gate's facts from the platform with as few requests as the data allows.

Owns the request strategy (per-asset GETs or paged lists per data source, concurrency,
the overall deadline); --refresh lives in gate/refresh.py. Must not decide anything: it only
returns facts.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from dbt_armor.errors import NotFoundError, PlatformTimeout
from dbt_armor.gate.facts import SourceFact
from dbt_armor.gate.quality import active_checks, active_rules, failures

if TYPE_CHECKING:  # pragma: no cover
    from dbt_armor.api.client import ArmorClient

T = TypeVar("T")
PAGE = 100
# With this many names or fewer in a data source, GET each one without probing the list.
DIRECT_MAX = 3


@dataclass(frozen=True)
class FetchTarget:
    """One upstream table to ask about."""

    unique_id: str
    qualified_name: str  # data_source.database.schema.table
    data_source: str
    table_path: str  # database.schema.table


@dataclass
class FetchStats:
    strategy: dict[str, str]  # data source -> "get" | "list"


class _Runner:
    """A thread pool with a shared deadline for all platform reads of one gate run."""

    def __init__(self, workers: int, deadline: float) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="armor-gate")
        self.end = time.monotonic() + deadline
        self.deadline = deadline

    def start(self, calls: Iterable[Callable[[], T]]) -> list[Future[T]]:
        return [self.pool.submit(c) for c in calls]

    def all(self, calls: Iterable[Callable[[], T]]) -> list[T]:
        return self.collect(self.start(calls))

    def collect(self, futures: list[Future[T]]) -> list[T]:
        """Results in order; the first error, or a timeout at the deadline, is raised."""
        if not futures:
            return []
        done, pending = wait(
            futures, timeout=max(0.0, self.end - time.monotonic()), return_when=FIRST_EXCEPTION
        )
        for f in done:
            exc = f.exception()
            if exc is not None:
                for p in pending:
                    p.cancel()
                raise exc
        if pending:
            for p in pending:
                p.cancel()
            raise PlatformTimeout(
                f"the platform did not answer within the gate deadline of {self.deadline:g} s",
                hint="retry later, raise --deadline, or use --on-api-error cached|open",
            )
        return [f.result() for f in futures]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _fact(target: FetchTarget, status: Any) -> SourceFact:
    state = status.status.value if hasattr(status.status, "value") else str(status.status)
    if state == "fresh" and status.is_stale:
        state = "stale"
    return SourceFact(
        unique_id=target.unique_id,
        qualified_name=target.qualified_name,
        status=state,
        hours_since_update=status.hours_since_update,
        threshold_hours=status.threshold_hours,
        last_updated=status.last_updated,
        checked_at=status.checked_at,
    )


def _get_one(client: ArmorClient, target: FetchTarget) -> SourceFact:
    try:
        return _fact(target, client.freshness.get(target.qualified_name))
    except NotFoundError:
        return SourceFact(target.unique_id, target.qualified_name, "not_monitored")


def _list_page(client: ArmorClient, source: str, offset: int) -> Any:
    return client.freshness.list(source=source, limit=PAGE, offset=offset)


@dataclass
class _Plan:
    """What is left to read for one data source after probing its first list page."""

    source: str
    targets: list[FetchTarget]
    strategy: str = "get"
    gets: list[FetchTarget] | None = None
    offsets: list[int] | None = None
    found: dict[str, SourceFact] | None = None
    by_name: dict[str, FetchTarget] | None = None

    def absorb(self, page: Any) -> None:
        if self.by_name is None:  # built once per data source, not once per page
            self.by_name = {t.qualified_name.lower(): t for t in self.targets}
        by_name = self.by_name
        found = self.found if self.found is not None else {}
        for item in page.items:
            target = by_name.get(str(item.qualified_name).lower())
            if target is not None:
                found[target.unique_id] = _fact(target, item)
        self.found = found


def _probe(client: ArmorClient, source: str, targets: list[FetchTarget]) -> _Plan:
    """Choose GETs or the paged list for one data source (cost: N GETs vs remaining pages)."""
    plan = _Plan(source, targets)
    if len(targets) <= DIRECT_MAX:
        plan.gets = list(targets)
        return plan
    first = _list_page(client, source, 0)
    plan.absorb(first)
    found = plan.found or {}
    missing = [t for t in targets if t.unique_id not in found]
    if not first.has_more or not missing:
        plan.strategy, plan.offsets = "list", []
        return plan
    if first.total is None:
        plan.gets = missing
        return plan
    pages_left = math.ceil(first.total / PAGE) - 1
    if pages_left > len(missing):
        plan.gets = missing
        return plan
    plan.strategy = "list"
    plan.offsets = [PAGE * (i + 1) for i in range(pages_left)]
    return plan


def _tagged(plan: _Plan, call: Callable[[], Any]) -> tuple[_Plan, Any]:
    return plan, call()


def fetch_facts(
    client: ArmorClient,
    targets: Iterable[FetchTarget],
    *,
    workers: int = 8,
    deadline: float = 60.0,
    quality: bool = True,
    stats: FetchStats | None = None,
    results: Mapping[str, Any] | None = None,
) -> dict[str, SourceFact]:
    """Facts for every target (unique_id -> SourceFact) within ``deadline`` seconds.

    ``results`` (rule uuid / check id -> check result, e.g. from --refresh) adds invalid counts
    to the failures it covers.
    """
    by_source: dict[str, list[FetchTarget]] = defaultdict(list)
    for t in targets:
        by_source[t.data_source].append(t)
    if not by_source:
        return {}
    runner = _Runner(workers, deadline)
    try:
        # Rule and check lists do not depend on freshness: read them alongside it.
        sources = sorted(by_source)
        lists: list[Future[list[Any]]] = []
        if quality:
            lists = runner.start(
                [partial(f, client, s) for s in sources for f in (active_rules, active_checks)]
            )
        plans = runner.all([partial(_probe, client, s, ts) for s, ts in by_source.items()])
        calls: list[Callable[[], tuple[_Plan, Any]]] = []
        for plan in plans:
            if stats is not None:
                stats.strategy[plan.source] = plan.strategy
            for t in plan.gets or []:
                calls.append(partial(_tagged, plan, partial(_get_one, client, t)))
            for o in plan.offsets or []:
                calls.append(partial(_tagged, plan, partial(_list_page, client, plan.source, o)))
        facts: dict[str, SourceFact] = {}
        for plan, got in runner.all(calls):
            if isinstance(got, SourceFact):
                facts[got.unique_id] = got
            else:
                plan.absorb(got)
        for plan in plans:
            facts.update(plan.found or {})
            if plan.strategy == "list":
                # The whole list for this data source was read: absent means not monitored.
                for t in plan.targets:
                    if t.unique_id not in facts:
                        facts[t.unique_id] = SourceFact(
                            t.unique_id, t.qualified_name, "not_monitored"
                        )
        if quality:
            got = runner.collect(lists)
            failing = [
                failures(by_source[s], got[2 * i], got[2 * i + 1], results)
                for i, s in enumerate(sources)
            ]
            for per_target in failing:
                for uid, fails in per_target.items():
                    facts[uid] = replace(facts[uid], failures=tuple(fails))
        return facts
    finally:
        runner.close()


def targets_from(resolved: Mapping[str, Any]) -> list[FetchTarget]:
    """FetchTargets from unique_id -> QualifiedName (``full``, ``data_source``, ``table_path``)."""
    return [
        FetchTarget(uid, str(q.full), str(q.data_source), str(q.table_path))
        for uid, q in sorted(resolved.items())
    ]
