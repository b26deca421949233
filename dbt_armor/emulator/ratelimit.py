"""Per-key rate limiting by tier: a per-minute window plus a per-second burst window.

Thread-safe; owns the X-RateLimit-* header values and the Retry-After figure.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dbt_armor.emulator.config import TIERS


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds when the minute window resets
    retry_after: int  # whole seconds (>= 1) when refused, else 0

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class KeyRateLimiter:
    """Fixed windows per key: ``per_min`` requests per minute and ``burst`` per second."""

    def __init__(self, enabled: bool = True, clock: Callable[[], float] = time.time) -> None:
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        # key -> [minute window start, count in minute, second window start, count in second]
        self._windows: dict[str, list[float]] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def peek(self, key: str, tier: str) -> Verdict:
        """The key's current figures without using up a request (for injected answers)."""
        per_min = TIERS[tier][0]
        now = self._clock()
        minute = math.floor(now / 60) * 60
        with self._lock:
            w = self._windows.get(key)
            used = int(w[1]) if w is not None and w[0] == minute else 0
        return Verdict(True, per_min, max(per_min - used, 0), int(minute + 60), 0)

    def check(self, key: str, tier: str) -> Verdict:
        per_min, burst, _ = TIERS[tier]
        now = self._clock()
        minute = math.floor(now / 60) * 60
        second = math.floor(now)
        reset = int(minute + 60)
        with self._lock:
            w = self._windows.setdefault(key, [minute, 0, second, 0])
            if w[0] != minute:
                w[0], w[1] = minute, 0
            if w[2] != second:
                w[2], w[3] = second, 0
            if not self.enabled:
                w[1] += 1
                return Verdict(True, per_min, max(per_min - int(w[1]), 0), reset, 0)
            if w[1] >= per_min:
                return Verdict(False, per_min, 0, reset, max(1, math.ceil(reset - now)))
            if w[3] >= burst:
                left = per_min - int(w[1])
                return Verdict(False, per_min, left, reset, max(1, math.ceil(second + 1 - now)))
            w[1] += 1
            w[3] += 1
            return Verdict(True, per_min, per_min - int(w[1]), reset, 0)
