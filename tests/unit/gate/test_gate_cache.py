from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gate_helpers import NOW, fact, failure

from dbt_armor.gate import cache

WANTED = {"source.pkg.raw.orders": "warehouse.demo.raw.orders"}


def test_round_trip_within_ttl_ages_the_facts(tmp_path: Path) -> None:
    path = cache.cache_path(tmp_path)
    cache.store(
        path, [fact(status="fresh", hours_since_update=2.0, failures=(failure("critical"),))], NOW
    )
    got = cache.load(path, WANTED, NOW + timedelta(hours=1), ttl_hours=6)
    assert got is not None
    f = got["source.pkg.raw.orders"]
    assert f.status == "fresh" and f.hours_since_update == 3.0
    assert f.failures[0].severity == "critical"


def test_expired_missing_or_partial_is_unusable(tmp_path: Path) -> None:
    path = cache.cache_path(tmp_path)
    assert cache.load(path, WANTED, NOW, 6) is None  # no file
    cache.store(path, [fact()], NOW)
    assert cache.load(path, WANTED, NOW + timedelta(hours=6, seconds=1), 6) is None
    assert cache.load(path, WANTED, NOW - timedelta(hours=1), 6) is None  # from the future
    more = {**WANTED, "source.pkg.raw.customers": "warehouse.demo.raw.customers"}
    assert cache.load(path, more, NOW, 6) is None


def test_store_merges_and_corrupt_file_is_empty(tmp_path: Path) -> None:
    path = cache.cache_path(tmp_path)
    path.write_text("{not json")
    assert cache.load(path, WANTED, NOW, 6) is None
    cache.store(path, [fact("orders")], NOW)
    cache.store(path, [fact("customers")], NOW + timedelta(hours=1))
    both = {**WANTED, "source.pkg.raw.customers": "warehouse.demo.raw.customers"}
    got = cache.load(path, both, NOW + timedelta(hours=2), 6)
    assert got is not None and set(got) == set(both)


def test_a_cached_answer_is_re_judged_not_replayed(tmp_path: Path) -> None:
    """Fresh at 23 h of a 24 h threshold when fetched; 2 h later the cache says stale."""
    path = cache.cache_path(tmp_path)
    cache.store(path, [fact(status="fresh", hours_since_update=23.0, threshold_hours=24.0)], NOW)
    later = NOW + timedelta(hours=2)
    got = cache.load(path, WANTED, later, ttl_hours=6)
    assert got is not None
    f = got["source.pkg.raw.orders"]
    assert (f.status, f.hours_since_update) == ("stale", 25.0)
    assert cache.oldest_age_hours(path, WANTED.values(), later) == 2.0
    # time only ages a table: a cached "stale" never turns fresh
    cache.store(path, [fact(status="stale", hours_since_update=1.0, threshold_hours=24.0)], NOW)
    again = cache.load(path, WANTED, later, ttl_hours=6)
    assert again is not None and again["source.pkg.raw.orders"].status == "stale"


def test_a_cached_fresh_without_an_age_is_not_trusted(tmp_path: Path) -> None:
    path = cache.cache_path(tmp_path)
    cache.store(path, [fact(status="fresh", hours_since_update=None)], NOW)
    got = cache.load(path, WANTED, NOW + timedelta(minutes=5), ttl_hours=6)
    assert got is not None and got["source.pkg.raw.orders"].status == "unknown"
