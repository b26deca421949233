"""The client's bucket stays strictly under a fixed-window server's limits, at every tier.

The server side is the emulator's own per-key limiter (per-minute and per-second windows),
driven by the same fake clock as the client, so no test sleeps.
"""

from __future__ import annotations

import httpx
import pytest
from client_helpers import FakeClock, make_client
from hypothesis import given, settings
from hypothesis import strategies as st

from dbt_armor.api.limiter import SAFETY_MARGIN, TIERS, RateLimiter, bucket_size
from dbt_armor.emulator.ratelimit import KeyRateLimiter as ServerLimiter

KEY = "aa_live_limitermargin_0000000000000000000000000000"


def _refusals(tier: str, requests: int, start: float, jitter: list[float]) -> int:
    """Send ``requests`` paced by the client bucket; count the server's refusals.

    Each request reaches the server ``jitter[i % len]`` seconds after the client released it
    (network latency varies, so arrivals can bunch up compared with departures).
    """
    clock = FakeClock(start)
    rate, burst = TIERS[tier]
    bucket = RateLimiter.under_limits(rate, burst, clock=clock.monotonic, sleep=clock.sleep)
    arrivals: list[float] = []
    for i in range(requests):
        bucket.acquire()
        arrivals.append(clock.now + jitter[i % len(jitter)])
    arrivals.sort()
    server_clock = FakeClock(start)
    server = ServerLimiter(clock=server_clock.wall)
    refused = 0
    for at in arrivals:
        server_clock.now = at
        refused += not server.check(KEY, tier).allowed
    return refused


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_bucket_fits_both_server_windows(tier: str) -> None:
    rate, burst = TIERS[tier]
    size = bucket_size(rate, burst)
    refill = SAFETY_MARGIN * rate / 60
    assert 1 <= size < burst or burst == 1
    assert size + refill <= burst  # any 1-second window
    assert size + 60 * refill <= rate  # any 60-second window


def test_5000_writes_at_enterprise_limit_meet_no_429() -> None:
    # The reported case: 5,000 writes paced at the key's exact limit saw ~0.5% 429s.
    assert _refusals("enterprise", 5000, 1_700_000_000.0, [0.0]) == 0


@settings(max_examples=30, deadline=None)
@given(
    tier=st.sampled_from(sorted(TIERS)),
    start=st.floats(min_value=0.0, max_value=120.0),
    jitter=st.lists(st.floats(min_value=0.0, max_value=0.15), min_size=1, max_size=7),
)
def test_no_refusals_whatever_the_window_phase_and_jitter(
    tier: str, start: float, jitter: list[float]
) -> None:
    rate = TIERS[tier][0]
    requests = min(3 * rate, 1200)  # at least two full minute windows at the slow tiers
    assert _refusals(tier, requests, 1_700_000_000.0 + start, jitter) == 0


def test_exact_limit_bucket_would_be_refused() -> None:
    """The same simulation with the old bucket (full rate, full burst) does meet 429s, so
    the test above can fail."""
    clock = FakeClock(1_700_000_010.0)
    bucket = RateLimiter(5000, 100, clock=clock.monotonic, sleep=clock.sleep)
    server = ServerLimiter(clock=clock.wall)
    refused = 0
    for _ in range(5000):
        bucket.acquire()
        refused += not server.check(KEY, "enterprise").allowed
    assert refused > 0


def test_remaining_header_slows_the_bucket_before_the_reset() -> None:
    clock = FakeClock()
    bucket = RateLimiter(60, 10, clock=clock.monotonic, sleep=clock.sleep)  # 1 token/s
    # Another client used most of the window: 5 left, reset in 10 s. The bucket could hand
    # out 10 + 10 = 20 before then, so it is lowered to 5 - 10 = -5 tokens.
    bucket.observe(5, 10.0)
    assert bucket.reserve() == pytest.approx(6.0)


def test_plenty_remaining_leaves_the_bucket_alone() -> None:
    clock = FakeClock()
    bucket = RateLimiter(60, 10, clock=clock.monotonic, sleep=clock.sleep)
    bucket.observe(500, 30.0)
    assert [bucket.reserve() for _ in range(10)] == [0.0] * 10


def test_nothing_remaining_pauses_until_reset_and_skewed_reset_is_capped() -> None:
    clock = FakeClock()
    bucket = RateLimiter(6000, 100, clock=clock.monotonic, sleep=clock.sleep)
    bucket.observe(0, 4000.0)  # a reset an hour away is a clock problem: wait two minutes
    assert bucket.reserve() == pytest.approx(120.0, abs=0.02)


def test_client_shares_the_key_with_another_process() -> None:
    """Another process on the same key uses 200 of each minute's 500 requests; the server's
    X-RateLimit-Remaining/Reset headers keep this client out of 429s."""
    clock = FakeClock(1_700_000_000.0)
    limit, other = 500, 200
    used: dict[int, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        minute = int(clock.now // 60)
        count = used.setdefault(minute, other)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Reset": str((minute + 1) * 60),
        }
        if count >= limit:
            headers |= {"X-RateLimit-Remaining": "0", "Retry-After": "1"}
            return httpx.Response(429, headers=headers, json={"error": {"code": "RATE_LIMITED"}})
        used[minute] = count + 1
        headers["X-RateLimit-Remaining"] = str(limit - count - 1)
        return httpx.Response(200, headers=headers, json={"data": {}})

    client = make_client(handler, clock=clock, rate_limit_per_min=limit, burst=25)
    for _ in range(900):
        client.freshness.summary()
    assert client.stats.retries == 0
    assert client.stats.requests == 900
    assert clock.now - 1_700_000_000.0 > 60  # it really had to wait for a later window
