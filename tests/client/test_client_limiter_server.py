"""The limiter trusts the server (issue 13, item 5): a configured tier above the key's real one
is lowered to the rate X-RateLimit-Limit reports, with one warning naming the server's tier;
repeated 429s slow it down and answers win the pace back, never above the ceiling.

The server side is the emulator's own fixed-window limiter on the same fake clock."""

from __future__ import annotations

import logging

import pytest
from client_helpers import FakeClock

from dbt_armor.api.limiter import RateLimiter
from dbt_armor.emulator.ratelimit import KeyRateLimiter as ServerLimiter


def drive(configured: str, real: str, seconds: float) -> tuple[int, int, RateLimiter]:
    """Send as fast as the client limiter allows for ``seconds`` against a server that limits
    the key by ``real``; returns (accepted, refused with 429, the client limiter)."""
    clock = FakeClock()
    client = RateLimiter.for_tier(configured, clock=clock.monotonic, sleep=clock.sleep)
    server = ServerLimiter(clock=clock.wall)
    accepted = refused = 0
    end = clock.now + seconds
    while clock.now < end:
        client.acquire()
        verdict = server.check("key", real)
        client.observe_limit(verdict.limit)
        client.observe(verdict.remaining, verdict.reset - clock.wall())
        if verdict.allowed:
            accepted += 1
            client.observe_ok()
        else:
            refused += 1
            client.observe_429()
            client.pause_for(verdict.retry_after)
    return accepted, refused, client


def test_enterprise_config_on_a_free_trial_key_converges_at_the_servers_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="dbt_armor.api"):
        accepted, refused, client = drive("enterprise", "free_trial", 300)
    assert refused <= 1  # at most the very first burst
    assert 0.9 * 20 * 5 <= accepted <= 20 * 5  # about 19 a minute, never over 20
    assert client.published == (20, 2)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "20 requests/min (tier free_trial)" in warnings[0] and "enterprise" in warnings[0]


def test_growth_config_on_a_starter_key() -> None:
    accepted, refused, _ = drive("growth", "starter", 120)
    assert refused <= 1 and 0.9 * 30 * 2 <= accepted <= 30 * 2


def test_right_tier_never_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dbt_armor.api"):
        accepted, refused, _ = drive("starter", "starter", 120)
    assert refused == 0 and accepted >= 0.9 * 60 and not caplog.records


def test_repeated_429s_lower_the_rate_and_answers_win_it_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter.for_tier("growth", clock=clock.monotonic, sleep=clock.sleep)
    ceiling = limiter.rate
    limiter.observe_429()
    assert limiter.rate == ceiling  # one 429 is news, not a pattern
    for _ in range(3):
        clock.sleep(1)
        limiter.observe_429()
    assert limiter.rate == pytest.approx(ceiling * 0.7**3)
    for _ in range(200):
        limiter.observe_ok()
    assert limiter.rate == ceiling
