"""``--refresh``: asks the platform to re-check everything the gate reads for the gated tables
(freshness, active validity rules, active referential checks on the table as child), at once.

Triggers checks and reports what could not be refreshed; never reads facts or decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from dbt_armor.errors import (
    ApiError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    PlatformTimeout,
)
from dbt_armor.gate.quality import TableIndex, active_checks, active_rules

if TYPE_CHECKING:  # pragma: no cover
    from dbt_armor.api.client import ArmorClient
    from dbt_armor.gate.fetch import FetchTarget

READ_ONLY = "--refresh needs a read-write key; using the platform's last results"


@dataclass
class RefreshReport:
    """What --refresh did: warnings for the user and the fresh check results by id."""

    warnings: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)  # rule uuid / check id -> result
    freshness: int = 0
    validity: int = 0
    referential: int = 0


def _freshness(client: ArmorClient, name: str, timeout: float) -> None:
    try:
        client.freshness.refresh(name, wait=True, timeout=timeout)
    except NotFoundError:
        return


def _check(client: ArmorClient, source: str, rule: Any) -> tuple[str, Any]:
    try:
        return rule.uuid, client.validity.check(source, rule.uuid)
    except NotFoundError:
        return rule.uuid, None


def _execute(client: ArmorClient, source: str, check: Any) -> tuple[str, Any]:
    try:
        return check.id, client.referential.execute(source, check.id)
    except NotFoundError:
        return check.id, None


def _planned(
    client: ArmorClient, by_source: dict[str, list[FetchTarget]], lists: list[list[Any]]
) -> tuple[list[Callable[[], tuple[str, Any]]], int, int]:
    calls: list[Callable[[], tuple[str, Any]]] = []
    nrules = nchecks = 0
    for i, source in enumerate(sorted(by_source)):
        index = TableIndex(by_source[source])
        for rule in lists[2 * i]:
            if index.match(rule.table_path):
                calls.append(partial(_check, client, source, rule))
                nrules += 1
        for check in lists[2 * i + 1]:
            if index.match(check.child_table_path):
                calls.append(partial(_execute, client, source, check))
                nchecks += 1
    return calls, nrules, nchecks


def refresh_platform(
    client: ArmorClient, targets: Sequence[FetchTarget], *, workers: int = 8, budget: float = 30.0
) -> RefreshReport:
    """Re-check freshness, rules and checks of ``targets`` concurrently within ``budget`` s.

    A 403 (read-only key), a timeout or a platform error becomes a warning: the gate then reads
    the platform's last results. A 401 is raised (the key itself is wrong).
    """
    from dbt_armor.gate.fetch import _Runner

    report = RefreshReport()
    by_source: dict[str, list[FetchTarget]] = defaultdict(list)
    for t in targets:
        by_source[t.data_source].append(t)
    if not by_source:
        return report
    runner = _Runner(workers, budget)
    try:
        fresh = runner.start(
            [partial(_freshness, client, t.qualified_name, budget) for t in targets]
        )
        report.freshness = len(fresh)
        lists = runner.all(
            [
                partial(f, client, s)
                for s in sorted(by_source)
                for f in (active_rules, active_checks)
            ]
        )
        calls, report.validity, report.referential = _planned(client, by_source, lists)
        for key, got in runner.all(calls):
            if got is not None:
                report.results[key] = got
        runner.collect(fresh)
    except AuthenticationError:
        raise
    except ForbiddenError:
        report.warnings.append(READ_ONLY)
    except PlatformTimeout:
        report.warnings.append(
            f"--refresh did not finish within {budget:g} s; using the platform's last results "
            "for what was not re-checked (raise --deadline to wait longer)"
        )
    except ApiError as exc:
        report.warnings.append(f"--refresh failed ({exc}); using the platform's last results")
    finally:
        runner.close()
    return report
