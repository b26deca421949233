"""Client-side rate limiting: a thread-safe token bucket sized from the key's tier, lowered to
what the server says the key may do (X-RateLimit-Limit) and after repeated 429s.

Owns pacing of outgoing requests only; it never sends requests or decides about retries.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from dbt_armor.errors import ConfigError

log = logging.getLogger("dbt_armor.api")

# Share of the published rate the client aims at, so that clock skew, network jitter and the
# server's fixed windows never push a well-configured client over the key's limit.
SAFETY_MARGIN = 0.95

# tier -> (requests per minute, burst per second), as published for API keys.
TIERS: dict[str, tuple[int, int]] = {
    "free_trial": (20, 2),
    "starter": (30, 3),
    "growth": (500, 25),
    "professional": (1000, 50),
    "enterprise": (5000, 100),
}


# After a 429 that follows another within this many seconds, the rate is cut by BACKOFF; each
# answer that is not a 429 wins back a little (RECOVER), never above the ceiling.
REPEAT_WINDOW = 10.0
BACKOFF = 0.7
RECOVER = 1.05
MIN_RATE_PER_MIN = 6.0


def tier_for_rate(rate_per_min: int) -> str | None:
    """The published tier whose per-minute limit is ``rate_per_min``, if any."""
    return next((name for name, (rate, _) in TIERS.items() if rate == rate_per_min), None)


def tier_limits(name: str) -> tuple[int, int]:
    """(rate_per_min, burst) for a tier name such as ``growth`` or ``Free Trial``."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in TIERS:
        raise ConfigError(
            f"unknown rate-limit tier {name!r}",
            hint="use one of " + ", ".join(TIERS),
        )
    return TIERS[key]


def bucket_size(rate_per_min: float, burst: int, margin: float = SAFETY_MARGIN) -> int:
    """Largest bucket that keeps any 1-second window under ``margin * burst`` and any
    60-second window under ``rate_per_min``, given the refill rate ``margin * rate / 60``.

    A token bucket of size C refilled at r/s can send C + r*T requests in T seconds, so both
    windows of a fixed-window server are respected when C + r <= margin*burst and
    C + 60r <= rate_per_min.
    """
    rate = margin * rate_per_min / 60.0
    per_second = math.floor(margin * burst - rate)
    per_minute = math.floor((1.0 - margin) * rate_per_min)
    return max(1, min(burst, per_second, per_minute))


class RateLimiter:
    """Token bucket: ``burst`` tokens, refilled at ``rate_per_min / 60`` per second.

    ``acquire()`` reserves a token (the bucket may go negative, so concurrent callers queue
    up fairly) and sleeps outside the lock until the reservation is due. ``observe()`` folds in
    the server's ``X-RateLimit-Remaining``/``Reset``, so other clients on the same key count.
    Build it with ``under_limits()`` to aim safely below a key's published limits.
    """

    def __init__(
        self,
        rate_per_min: float,
        burst: float,
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
        # The key's published (per-minute, per-second) limits this bucket was sized for.
        self.published: tuple[float, float] = (rate_per_min, float(burst))
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = 0.0
        self.margin = 1.0
        self.ceiling = self.rate  # the highest rate allowed now (config or server), per second
        self._last_429: float | None = None
        self.warned = False

    @classmethod
    def under_limits(
        cls,
        rate_per_min: float,
        burst: int,
        *,
        margin: float = SAFETY_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateLimiter:
        """A bucket refilled at ``margin`` of the published rate and sized by
        ``bucket_size()``, so a lone client never meets the server's 429."""
        if not 0.0 < margin <= 1.0:
            raise ConfigError(
                f"invalid rate-limit margin {margin}", hint="use a share in (0, 1], e.g. 0.95"
            )
        if rate_per_min <= 0 or burst < 1:
            raise ConfigError(
                f"invalid rate limit {rate_per_min}/min burst {burst}",
                hint="use a positive rate and a burst of at least 1",
            )
        size = bucket_size(rate_per_min, burst, margin)
        limiter = cls(margin * rate_per_min, size, clock=clock, sleep=sleep)
        limiter.published = (rate_per_min, float(burst))
        limiter.margin = margin
        return limiter

    @classmethod
    def for_tier(
        cls,
        name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateLimiter:
        rate, burst = tier_limits(name)
        return cls.under_limits(rate, burst, clock=clock, sleep=sleep)

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

    def observe(self, remaining: int, reset_in: float) -> None:
        """Fold in the server's view: ``remaining`` requests are left until the window resets
        in ``reset_in`` seconds (capped at two minutes against skewed clocks).

        With nothing left every caller waits for the reset. Otherwise the bucket is lowered so
        that what it can still hand out before the reset (tokens now plus the refill until
        then) does not exceed ``remaining``; a negative balance simply delays the next calls.
        """
        reset_in = min(max(reset_in, 0.0), 120.0)
        if remaining <= 0:
            self.pause_for(reset_in)
            return
        with self._lock:
            self._refill(self._clock())
            ceiling = remaining - self.rate * reset_in
            if ceiling < self._tokens:
                self._tokens = ceiling

    def observe_limit(self, server_rate_per_min: int) -> None:
        """Fold in ``X-RateLimit-Limit``: when the server allows this key less than the
        configured tier, pace at the server's rate (and its tier's burst) from now on, with one
        warning naming the tier the server implies."""
        if server_rate_per_min <= 0 or server_rate_per_min >= self.published[0]:
            return
        tier = tier_for_rate(server_rate_per_min)
        burst = TIERS[tier][1] if tier else max(1, server_rate_per_min // 20)
        configured = tier_for_rate(int(self.published[0]))
        with self._lock:
            self._refill(self._clock())
            self.published = (float(server_rate_per_min), float(burst))
            self.ceiling = self.margin * server_rate_per_min / 60.0
            self.rate = min(self.rate, self.ceiling)
            self.burst = float(bucket_size(server_rate_per_min, burst, self.margin))
            self._tokens = min(self._tokens, self.burst)
            warn, self.warned = not self.warned, True
        if warn:
            log.warning(
                "the platform allows this API key %d requests/min (tier %s), less than the "
                "configured %s; pacing at the platform's rate (set `tier: %s` to match)",
                server_rate_per_min,
                tier or "unknown",
                configured or f"{self.published[0]:g}/min",
                tier or "<your tier>",
            )

    def observe_429(self) -> None:
        """A 429 right after another one means the pace is still too high: slow down."""
        with self._lock:
            now = self._clock()
            repeated = self._last_429 is not None and now - self._last_429 <= REPEAT_WINDOW
            self._last_429 = now
            if repeated:
                self._refill(now)
                self.rate = max(MIN_RATE_PER_MIN / 60.0, self.rate * BACKOFF)

    def observe_ok(self) -> None:
        """An answer that is not a 429: win back some of a 429 cut, up to the ceiling."""
        if self.rate >= self.ceiling:
            return
        with self._lock:
            self._refill(self._clock())
            self.rate = min(self.ceiling, self.rate * RECOVER)
