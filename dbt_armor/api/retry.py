"""Retry policy: which failures are retried, and how long to back off.

Pure decisions over (method, failure, attempt); the transport owns sleeping and the clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, within a total time budget.

    ``max_retries`` counts extra attempts after the first; ``budget`` bounds the whole call
    (all attempts plus all sleeps) in seconds.
    """

    max_retries: int = 4
    budget: float = 60.0
    base: float = 0.5
    cap: float = 30.0
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def retryable_status(self, method: str, status: int) -> bool:
        """429 means the server did not process the request, so any method may retry it;
        5xx may have had effects, so only idempotent methods retry those."""
        if status == 429:
            return True
        return status in RETRY_STATUSES and method.upper() in IDEMPOTENT

    def retryable_transport(self, method: str, *, sent: bool) -> bool:
        """Connect errors (request never sent) retry for any method; failures after the
        request may have reached the server (read timeout, reset) only for idempotent ones."""
        return (not sent) or method.upper() in IDEMPOTENT

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Delay before retry number ``attempt`` (1-based); Retry-After wins when given."""
        if retry_after is not None:
            return max(0.0, retry_after)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return float(ceiling * (0.5 + 0.5 * self.rand()))
