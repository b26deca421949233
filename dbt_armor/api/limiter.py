"""Client-side rate limiting: a thread-safe token bucket sized from the key's tier.

Owns pacing of outgoing requests only; it never sends requests or decides about retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from dbt_armor.errors import ConfigError

# tier -> (requests per minute, burst per second), as published for API keys.
TIERS: dict[str, tuple[int, int]] = {
    "free_trial": (20, 2),
    "starter": (30, 3),
    "growth": (500, 25),
    "professional": (1000, 50),
    "enterprise": (5000, 100),
}


def tier_limits(name: str) -> tuple[int, int]:
    """(rate_per_min, burst) for a tier name such as ``growth`` or ``Free Trial``."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in TIERS:
        raise ConfigError(
            f"unknown rate-limit tier {name!r}",
            hint="use one of " + ", ".join(TIERS),
        )
    return TIERS[key]


class RateLimiter:
    """Token bucket: ``burst`` tokens, refilled at ``rate_per_min / 60`` per second.

    ``acquire()`` reserves a token (the bucket may go negative, so concurrent callers queue
    up fairly) and sleeps outside the lock until the reservation is due. ``pause_for()``
    blocks every caller for a while (used when the server says ``X-RateLimit-Remaining: 0``).
    """

    def __init__(
        self,
        rate_per_min: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_min <= 0 or burst < 1:
            raise ConfigError(
                f"invalid rate limit {rate_per_min}/min burst {burst}",
                hint="use a positive rate and a burst of at least 1",
            )
        self.rate = rate_per_min / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = 0.0

    @classmethod
    def for_tier(
        cls,
        name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateLimiter:
        rate, burst = tier_limits(name)
        return cls(rate, burst, clock=clock, sleep=sleep)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = now

    def reserve(self) -> float:
        """Take one token and return how long the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            start = max(now, self._paused_until)
            if start > now:
                # Tokens do not accrue while the server has told us to stop.
                self._tokens = min(self._tokens, 0.0)
                self._updated = start
            self._tokens -= 1.0
            deficit = -self._tokens if self._tokens < 0 else 0.0
            return (start - now) + deficit / self.rate

    def acquire(self) -> float:
        """Block until a request may be sent; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause_for(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (the server's window has no budget left)."""
        if seconds <= 0:
            return
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
