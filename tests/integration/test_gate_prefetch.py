"""Reads started while dbt parses (gate/prefetch.py) against the real emulator: the verdict is
still computed on the new selection, an answer past its age is read again, and a slow platform
does not hold the run past the gate's deadline."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from gate_project import (
    DATA_SOURCE,
    fault,
    manifest_doc,
    outcomes,
    prepare,
    register,
    set_freshness,
    source_id,
)

from dbt_armor.config import Settings
from dbt_armor.emulator import EmulatorServer
from dbt_armor.errors import ExitCode
from dbt_armor.gate import cache
from dbt_armor.gate.engine import GateResult
from dbt_armor.gate.fetch import targets_from
from dbt_armor.gate.pipeline import Prepared, check
from dbt_armor.gate.prefetch import MAX_AGE_S, Prefetch
from dbt_armor.project.naming import NameResolver

TABLES = ["orders", "customers"]
SETTINGS = Settings(data_sources={"*": DATA_SOURCE})


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _targets(prepared: Prepared, tables: list[str]) -> list[Any]:
    """The targets a previous run gating ``tables`` asked about (as the gate cache lists them)."""
    resolver = NameResolver(prepared.manifest, None, {"*": DATA_SOURCE}, "auto")
    return targets_from({source_id(t): resolver.resolve(source_id(t)) for t in tables})


def _check(prepared: Prepared, client: Any, prefetch: Prefetch | None, **kw: Any) -> GateResult:
    return check(prepared, SETTINGS, client=client, prefetch=prefetch, write=False, **kw)


def _prefetched(client: Any, targets: list[Any]) -> Prefetch:
    job = Prefetch.start(client, targets, deadline=10, now=_now)
    assert job.wait(10) is not None, job.error
    return job


def test_a_source_added_by_the_change_is_checked_and_blocks(
    tmp_path: Path, emulator: EmulatorServer, client: Any
) -> None:
    register(emulator, TABLES)
    set_freshness(emulator, "orders", "fresh", 2.0)
    set_freshness(emulator, "customers", "stale", 40.0)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    job = _prefetched(client, _targets(prepared, ["orders"]))  # the last run gated orders only
    before = client.stats.requests
    result = _check(prepared, client, job, now=_now)
    assert outcomes(result) == {source_id("orders"): "pass", source_id("customers"): "block"}
    assert result.exit_code == ExitCode.BLOCKED
    # customers (and its data source's rule lists) were read after the parse; orders was not
    assert 1 <= client.stats.requests - before <= 3
    assert cache.gated_targets(cache.cache_path(prepared.target_dir)) == _targets(
        prepared, ["customers", "orders"]
    )


def test_prefetched_answers_are_reused_while_young(
    tmp_path: Path, emulator: EmulatorServer, client: Any
) -> None:
    register(emulator, TABLES)
    for t in TABLES:
        set_freshness(emulator, t, "fresh", 2.0)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    job = _prefetched(client, _targets(prepared, TABLES))
    before = client.stats.requests
    result = _check(prepared, client, job, now=_now)
    assert result.exit_code == 0 and set(outcomes(result).values()) == {"pass"}
    assert client.stats.requests == before  # nothing left to read after the parse


def test_an_answer_older_than_allowed_is_read_again(
    tmp_path: Path, emulator: EmulatorServer, client: Any
) -> None:
    """orders turns stale on the platform after the prefetch; once the prefetched 'fresh' is
    older than MAX_AGE_S it is not used: the gate reads again and blocks."""
    register(emulator, TABLES)
    for t in TABLES:
        set_freshness(emulator, t, "fresh", 2.0)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    job = _prefetched(client, _targets(prepared, TABLES))
    set_freshness(emulator, "orders", "stale", 40.0)
    later = _now() + timedelta(seconds=MAX_AGE_S + 1)
    result = _check(prepared, client, job, now=lambda: later)
    assert outcomes(result)[source_id("orders")] == "block"
    assert result.exit_code == ExitCode.BLOCKED


def test_a_slow_platform_does_not_hold_the_run_past_the_deadline(
    tmp_path: Path, emulator: EmulatorServer, client: Any
) -> None:
    """Every read answers after 30 s: prefetch and check together end at the 3 s deadline,
    with the same verdict as without a prefetch (platform unavailable, fail closed)."""
    register(emulator, TABLES)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    targets = _targets(prepared, TABLES)
    fault(emulator, match="GET /api/v1/*", latency_ms=30000, count=0)
    began = time.monotonic()
    job = Prefetch.start(client, targets, deadline=2.5, now=_now)
    result = _check(prepared, client, job, now=_now, began=began, run_overrides={"deadline": 3})
    elapsed = time.monotonic() - began
    assert result.exit_code == ExitCode.PLATFORM_UNAVAILABLE
    assert set(outcomes(result).values()) == {"block"}
    assert elapsed < 3.5, f"the gate took {elapsed:.1f} s"


def test_a_failed_prefetch_falls_back_to_a_normal_read(
    tmp_path: Path, emulator: EmulatorServer, client: Any
) -> None:
    register(emulator, TABLES)
    set_freshness(emulator, "orders", "stale", 40.0)
    set_freshness(emulator, "customers", "fresh", 1.0)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    fault(emulator, match="GET /api/v1/*", status=400, count=20)  # not retried: fails fast
    job = Prefetch.start(client, _targets(prepared, TABLES), deadline=10, now=_now)
    assert job.wait(10) is None and job.error is not None
    emulator.app.faults.clear()
    result = _check(prepared, client, job, now=_now)
    assert outcomes(result) == {source_id("orders"): "block", source_id("customers"): "pass"}
