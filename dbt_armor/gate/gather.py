"""Getting the facts for one gate run: from the platform, or per on_api_error from the cache.

The I/O shell around fetch and cache; decides nothing about the outcome. A failure to reach
the platform is returned as data (``facts`` None), never raised, except 401/403.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dbt_armor.errors import ApiError, AuthenticationError, ForbiddenError
from dbt_armor.gate import cache
from dbt_armor.gate.facts import SourceFact
from dbt_armor.gate.fetch import FetchTarget, fetch_facts
from dbt_armor.gate.policy import RunOptions
from dbt_armor.gate.prefetch import Prefetch, read
from dbt_armor.gate.refresh import refresh_platform
from dbt_armor.gate.verdict import CACHE, NONE, PLATFORM

# Seconds kept back from the deadline for deciding, reporting and writing files, and the least
# time the reads get however long the run took before them.
REPORT_RESERVE_S = 0.5
MIN_READ_S = 1.0


@dataclass(frozen=True)
class Gathered:
    """The facts one run decides on, where they came from, and what went wrong getting them."""

    facts: dict[str, SourceFact] | None  # None: the platform could not be asked
    facts_from: str  # platform | cache | none
    api_error: str | None = None
    cache_age_hours: float | None = None
    notes: tuple[str, ...] = ()


def gather(
    client: Any,
    targets: list[FetchTarget],
    options: RunOptions,
    now: Callable[[], datetime],
    target_dir: Path | None,
    *,
    refresh: bool = False,
    workers: int = 8,
    began: float | None = None,
    prefetch: Prefetch | None = None,
) -> Gathered:
    """Fetch every target's facts within the deadline; fall back to the cache if allowed.

    ``began`` (a time.monotonic() value) is when the run started: the deadline then bounds the
    whole run, not just these reads (which get what is left, at least MIN_READ_S).
    ``prefetch`` (reads started while dbt parsed) answers what it still can; never with
    ``refresh``, whose re-checks its answers predate.
    """
    started = time.perf_counter()
    cpath = cache.cache_path(target_dir) if target_dir is not None else None
    notes: list[str] = []
    try:
        deadline = options.deadline
        if began is not None:
            spent = time.monotonic() - began + REPORT_RESERVE_S
            deadline = max(MIN_READ_S, options.deadline - spent)
        refreshed: dict[str, Any] = {}
        if refresh:
            report = refresh_platform(
                client, targets, workers=workers, budget=max(1.0, deadline / 2)
            )
            refreshed, notes = report.results, list(report.warnings)
            deadline = max(MIN_READ_S, deadline - (time.perf_counter() - started))
        if prefetch is not None and not refresh:
            facts = read(client, targets, prefetch, now, deadline, workers=workers)
        else:
            facts = fetch_facts(
                client, targets, workers=workers, deadline=deadline, results=refreshed
            )
        if cpath is not None and facts:
            cache.store(cpath, facts.values(), now(), gated=targets)
        return Gathered(facts, PLATFORM, notes=tuple(notes))
    except (AuthenticationError, ForbiddenError):
        raise
    except ApiError as exc:
        error = str(exc)
    if options.on_api_error == "cached" and cpath is not None:
        wanted = {t.unique_id: t.qualified_name for t in targets}
        at = now()
        cached = cache.load(cpath, wanted, at, options.cache_ttl)
        if cached is not None:
            age = cache.oldest_age_hours(cpath, wanted.values(), at)
            notes.append(
                f"platform unavailable ({error}); decided on cached facts "
                f"{age:.1f} h old, re-judged at the current time"
            )
            return Gathered(cached, CACHE, error, age, tuple(notes))
        notes.append(
            f"platform unavailable ({error}); no cached facts younger than "
            f"{options.cache_ttl:g} h (cache_ttl) for every source: not running "
            "(on_api_error=cached); retry later or use --on-api-error open"
        )
    elif options.on_api_error == "open":
        notes.append(f"platform unavailable ({error}); running anyway (on_api_error=open)")
    else:
        notes.append(
            f"platform unavailable ({error}): not running (on_api_error="
            f"{options.on_api_error}); retry later or use --on-api-error open|cached"
        )
    return Gathered(None, NONE, error, None, tuple(notes))
