"""The client-side token bucket: bursts, steady pacing, server-driven pauses, thread safety."""

from __future__ import annotations

import threading

import httpx
import pytest
from client_helpers import FakeClock, Recorder, make_client

from dbt_armor.api.limiter import TIERS, RateLimiter, tier_limits
from dbt_armor.errors import ConfigError, PlatformTimeout


def test_burst_then_steady_rate() -> None:
    clock = FakeClock()
    bucket = RateLimiter(60, 3, clock=clock.monotonic, sleep=clock.sleep)  # 1 token/s
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == [pytest.approx(1.0)] * 3
    assert clock.now - 1_700_000_000.0 == pytest.approx(3.0)


def test_tokens_refill_over_time_but_not_beyond_burst() -> None:
    clock = FakeClock()
    bucket = RateLimiter(120, 2, clock=clock.monotonic, sleep=clock.sleep)  # 2 tokens/s
    bucket.acquire()
    bucket.acquire()
    clock.now += 100  # long idle: only `burst` tokens accumulate
    assert [bucket.reserve() for _ in range(3)] == [0, 0, pytest.approx(0.5)]


def test_pause_blocks_everyone_until_reset() -> None:
    clock = FakeClock()
    bucket = RateLimiter(6000, 100, clock=clock.monotonic, sleep=clock.sleep)
    bucket.pause_for(10)
    assert bucket.reserve() == pytest.approx(10, abs=0.02)


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_tiers_have_documented_numbers(tier: str) -> None:
    rate, burst = tier_limits(tier)
    assert (rate, burst) == TIERS[tier]
    assert tier_limits(tier.upper().replace("_", " ")) == (rate, burst)


def test_unknown_tier_is_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown rate-limit tier 'platinum'"):
        tier_limits("platinum")


def test_concurrent_reservations_are_consistent() -> None:
    clock = FakeClock()
    lock = threading.Lock()

    def frozen() -> float:
        with lock:
            return clock.now

    bucket = RateLimiter(600, 10, clock=frozen, sleep=lambda s: None)  # 10 tokens/s
    waits: list[float] = []

    def worker() -> None:
        for _ in range(25):
            w = bucket.reserve()
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 200 reservations with the clock frozen: 10 free, the rest spaced 0.1 s apart, no duplicates.
    ordered = sorted(waits)
    assert ordered[:10] == [0.0] * 10
    assert ordered[-1] == pytest.approx(19.0)
    assert len({round(w, 6) for w in ordered[10:]}) == 190


def test_client_paces_requests_with_tier_limits() -> None:
    clock = FakeClock()
    ok = httpx.Response(200, json={"data": {"total_assets": 0}})
    client = make_client(Recorder(ok), clock=clock, rate_limit_per_min=20, burst=2)
    for _ in range(4):
        client.freshness.summary()
    # 20/min burst 2 is paced at 95%: a one-token bucket refilled every 60/19 s.
    assert clock.sleeps == [pytest.approx(60 / 19)] * 3
    assert client.stats.requests == 4


def test_remaining_zero_header_waits_until_reset() -> None:
    clock = FakeClock()
    reset = int(clock.now) + 15
    headers = {
        "X-RateLimit-Limit": "500",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset),
    }
    rec = Recorder(httpx.Response(200, headers=headers, json={"data": {}}))
    client = make_client(rec, clock=clock, rate_limit_per_min=5000, burst=100)
    client.freshness.summary()
    client.freshness.summary()
    # the reset, then one token at the 500/min the server reports (not the configured 5000)
    assert clock.sleeps and clock.sleeps[0] == pytest.approx(15 + 60 / (0.95 * 500), abs=0.01)
    assert client.stats.rate_limit_limit == 500


def test_limiter_wait_beyond_budget_fails_clearly() -> None:
    clock = FakeClock()
    client = make_client(
        Recorder(httpx.Response(200, json={"data": {}})),
        clock=clock,
        rate_limit_per_min=1,
        burst=1,
        retry_budget=5.0,
    )
    client.freshness.summary()
    with pytest.raises(PlatformTimeout, match="rate limit"):
        client.freshness.summary()
