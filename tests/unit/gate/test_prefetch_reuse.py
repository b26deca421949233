"""Which prefetched answers a run may reuse (gate/prefetch.split, pure) and the gated-targets
list the gate cache keeps for the next run's prefetch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gate_helpers import NOW, fact, failure

from dbt_armor.gate import cache
from dbt_armor.gate.fetch import FetchTarget
from dbt_armor.gate.prefetch import MAX_AGE_S, split


def target(name: str, data_source: str = "warehouse") -> FetchTarget:
    return FetchTarget(
        f"source.pkg.raw.{name}",
        f"{data_source}.demo.raw.{name}",
        data_source,
        f"demo.raw.{name}",
    )


ORDERS, CUSTOMERS = target("orders"), target("customers")
FETCHED = NOW - timedelta(seconds=5)


def test_reuses_a_young_fresh_answer_with_its_age_added() -> None:
    answers = {ORDERS.unique_id: fact("orders", hours_since_update=1.0)}
    got = split([ORDERS], [ORDERS], answers, FETCHED, NOW)
    assert got.to_read == []
    assert got.facts[ORDERS.unique_id].status == "fresh"
    hours = got.facts[ORDERS.unique_id].hours_since_update
    assert hours is not None and abs(hours - (1.0 + 5 / 3600)) < 1e-9


def test_a_source_the_prefetch_did_not_ask_about_is_read() -> None:
    """The new selection added customers: it is read, never assumed."""
    answers = {ORDERS.unique_id: fact("orders")}
    got = split([ORDERS, CUSTOMERS], [ORDERS], answers, FETCHED, NOW)
    assert set(got.facts) == {ORDERS.unique_id}
    assert got.to_read == [CUSTOMERS]


def test_an_answer_for_another_name_or_data_source_is_not_reused() -> None:
    """Same unique_id, but this run resolves it to another data source (another target)."""
    answers = {ORDERS.unique_id: fact("orders")}
    prod = target("orders", data_source="prod_wh")
    got = split([prod], [ORDERS], answers, FETCHED, NOW)
    assert got.facts == {} and got.to_read == [prod]


def test_an_answer_older_than_the_max_age_is_not_reused() -> None:
    answers = {ORDERS.unique_id: fact("orders")}
    old = NOW - timedelta(seconds=MAX_AGE_S + 1)
    assert split([ORDERS], [ORDERS], answers, old, NOW).to_read == [ORDERS]
    just = NOW - timedelta(seconds=MAX_AGE_S)
    assert split([ORDERS], [ORDERS], answers, just, NOW).to_read == []
    future = NOW + timedelta(seconds=1)  # a clock that went back: never trust it
    assert split([ORDERS], [ORDERS], answers, future, NOW).to_read == [ORDERS]


def test_a_fresh_answer_that_would_turn_stale_or_unknown_is_read_again() -> None:
    at_edge = fact("orders", hours_since_update=24.0 - 1 / 3600, threshold_hours=24.0)
    no_age = fact("orders", hours_since_update=None, last_updated=None)
    for answer in (at_edge, no_age):
        got = split([ORDERS], [ORDERS], {ORDERS.unique_id: answer}, FETCHED, NOW)
        assert got.facts == {} and got.to_read == [ORDERS]


def test_failed_prefetch_reads_everything_and_failures_are_kept() -> None:
    assert split([ORDERS], [ORDERS], None, FETCHED, NOW).to_read == [ORDERS]
    assert split([ORDERS], [ORDERS], {}, None, NOW).to_read == [ORDERS]
    failing = fact("orders", failures=(failure("critical"),))
    got = split([ORDERS], [ORDERS], {ORDERS.unique_id: failing}, FETCHED, NOW)
    assert got.facts[ORDERS.unique_id].failures == failing.failures


def test_the_cache_keeps_the_last_runs_targets(tmp_path: Path) -> None:
    path = cache.cache_path(tmp_path)
    assert cache.gated_targets(path) == []
    cache.store(path, [fact("orders")], NOW, gated=[ORDERS, CUSTOMERS])
    assert cache.gated_targets(path) == [ORDERS, CUSTOMERS]
    cache.store(path, [fact("customers")], NOW, gated=[CUSTOMERS])  # replaced, not merged
    assert cache.gated_targets(path) == [CUSTOMERS]
    cache.store(path, [fact("orders")], NOW)  # a store without targets keeps the list
    assert cache.gated_targets(path) == [CUSTOMERS]
    wanted = {ORDERS.unique_id: ORDERS.qualified_name}
    assert cache.load(path, wanted, NOW, 6) is not None  # the facts are still there
    path.write_text('{"version": 1, "entries": {}, "gated": [{"unique_id": "x"}]}')
    assert cache.gated_targets(path) == []
