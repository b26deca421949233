"""Retries: idempotent methods on 5xx/429/transport errors, POST only when nothing was processed,
Retry-After in seconds or as an HTTP-date, and a total time budget."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest
from client_helpers import FakeClock, Recorder, error, make_client

from dbt_armor.api.models import ValidityRuleCreate
from dbt_armor.api.retry import RetryPolicy
from dbt_armor.errors import PlatformTimeout, RateLimitError, ServerError, TransportError

OK = httpx.Response(200, json={"data": {"total_assets": 1, "fresh": 1}})
RULE = httpx.Response(200, json={"data": {"uuid": "r1", "rule_type": "NOT_NULL"}})
SPEC = ValidityRuleCreate(rule_type="NOT_NULL", table_path="db.raw.orders", column_name="id")


def test_get_retries_5xx_then_succeeds_with_backoff() -> None:
    clock = FakeClock()
    rec = Recorder(error(503, "INTERNAL_ERROR", "x"), error(502, "X", "y"), OK)
    client = make_client(rec, clock=clock)
    assert client.freshness.summary().total_assets == 1
    assert len(rec.requests) == 3
    assert client.stats.requests == 3 and client.stats.retries == 2
    assert len(clock.sleeps) == 2
    assert all(0 < s <= 30 for s in clock.sleeps)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0, rand=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    low = RetryPolicy(base=1.0, cap=8.0, rand=lambda: 0.0)
    assert low.backoff(3) == 2.0
    assert policy.backoff(1, retry_after=12.5) == 12.5


def test_retry_after_seconds_is_honoured() -> None:
    clock = FakeClock()
    limited = httpx.Response(
        429, headers={"Retry-After": "3"}, json={"error": {"code": "RATE_LIMITED"}}
    )
    rec = Recorder(limited, OK)
    client = make_client(rec, clock=clock)
    client.freshness.summary()
    assert clock.sleeps == [3.0]


def test_retry_after_http_date_is_honoured() -> None:
    clock = FakeClock()
    when = formatdate(clock.now + 20, usegmt=True)
    limited = httpx.Response(429, headers={"Retry-After": when})
    rec = Recorder(limited, OK)
    client = make_client(rec, clock=clock)
    client.freshness.summary()
    assert clock.sleeps == [pytest.approx(20.0, abs=1.0)]


def test_post_is_not_retried_on_5xx() -> None:
    rec = Recorder(error(500, "INTERNAL_ERROR", "x"), RULE)
    client = make_client(rec)
    with pytest.raises(ServerError):
        client.validity.create("ds", SPEC)
    assert len(rec.requests) == 1


def test_post_is_not_retried_after_read_timeout() -> None:
    rec = Recorder(httpx.ReadTimeout("sent, no answer"), RULE)
    client = make_client(rec)
    with pytest.raises(PlatformTimeout):
        client.validity.create("ds", SPEC)
    assert len(rec.requests) == 1


def test_post_is_retried_on_connect_error_and_429() -> None:
    rec = Recorder(
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"Retry-After": "1"}),
        RULE,
    )
    client = make_client(rec)
    assert client.validity.create("ds", SPEC).uuid == "r1"
    assert len(rec.requests) == 3


def test_put_patch_delete_are_retried() -> None:
    rec = Recorder(error(503, "X", "y"), httpx.Response(204))
    client = make_client(rec)
    client.validity.delete("ds", "r1")
    assert [r.method for r in rec.requests] == ["DELETE", "DELETE"]
    rec = Recorder(httpx.ReadTimeout("x"), RULE)
    client = make_client(rec)
    client.validity.update("ds", "r1", is_active=False)
    assert [r.method for r in rec.requests] == ["PATCH", "PATCH"]


def test_max_retries_is_respected() -> None:
    rec = Recorder(error(500, "X", "y"))
    client = make_client(rec, max_retries=2)
    with pytest.raises(ServerError):
        client.freshness.summary()
    assert len(rec.requests) == 3


def test_budget_stops_before_a_sleep_that_would_exceed_it() -> None:
    clock = FakeClock()
    start = clock.now
    limited = httpx.Response(429, headers={"Retry-After": "45"})
    rec = Recorder(limited, OK)
    client = make_client(rec, clock=clock, retry_budget=30.0)
    with pytest.raises(RateLimitError) as info:
        client.freshness.summary()
    assert "retry budget" in str(info.value)
    assert clock.now - start <= 30.0
    assert len(rec.requests) == 1


def test_whole_call_including_sleeps_stays_within_budget() -> None:
    clock = FakeClock()
    start = clock.now
    rec = Recorder(httpx.ConnectError("down"))
    client = make_client(
        rec, clock=clock, retry_policy=RetryPolicy(max_retries=50, budget=10.0, base=1.0, cap=4.0)
    )
    with pytest.raises(TransportError) as info:
        client.freshness.summary()
    assert isinstance(info.value, PlatformTimeout)
    assert "retry budget" in str(info.value)
    assert clock.now - start <= 10.0
    assert 2 <= len(rec.requests) < 51
