"""ArmorClient: one synchronous, thread-safe client for the AnomalyArmor API.

Owns wiring (settings -> transport, limiter, retry policy, resources); it must not contain
endpoint logic (resources/) or HTTP mechanics (transport.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from dbt_armor.api.limiter import RateLimiter
from dbt_armor.api.paths import normalise_base_url
from dbt_armor.api.resources.assets import AssetsResource
from dbt_armor.api.resources.freshness import FreshnessResource
from dbt_armor.api.resources.jobs import JobsResource
from dbt_armor.api.resources.lineage import LineageResource
from dbt_armor.api.resources.referential import ReferentialResource
from dbt_armor.api.resources.validity import ValidityResource
from dbt_armor.api.retry import RetryPolicy
from dbt_armor.api.transport import Stats, Transport
from dbt_armor.errors import ConfigError

if TYPE_CHECKING:
    from dbt_armor.config import Settings
    from dbt_armor.secret import Secret

log = logging.getLogger("dbt_armor.api")
DEFAULT_BASE_URL = "https://api.anomalyarmor.ai/api/v1"


def _check_key_characters(key: str) -> None:
    """Refuse a key no HTTP header can carry (line break, space, control or non-ASCII
    character) before any request: the HTTP stack would quote the whole header in its error."""
    if not all(0x21 <= ord(ch) <= 0x7E for ch in key):
        raise ConfigError(
            "the API key contains a space, line break or non-ASCII character",
            hint="copy the key again as one line (e.g. export ARMOR_API_KEY=aa_live_…)",
        )


class ArmorClient:
    """Sync client; share one instance across threads for fan-out.

    ``transport`` (an ``httpx`` transport, e.g. ``httpx.MockTransport``), ``clock``, ``wall``
    and ``sleep`` are injectable so tests never touch the network or really sleep.
    """

    def __init__(
        self,
        api_key: str | Secret | None = None,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        retry_budget: float = 60.0,
        rate_limit_per_min: int | None = None,
        burst: int | None = None,
        verify: bool = True,
        allow_http: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int = 50 * 1024 * 1024,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        from dbt_armor.secret import Secret

        self._key = api_key if isinstance(api_key, Secret) or api_key is None else Secret(api_key)
        if self._key is not None:
            _check_key_characters(self._key.reveal())
        self.base_url = normalise_base_url(base_url, allow_http=allow_http)
        if not verify:
            log.warning("TLS certificate verification is OFF for %s", self.base_url)
        limiter = None
        if rate_limit_per_min is not None:
            size = burst if burst is not None else max(1, rate_limit_per_min // 20)
            limiter = RateLimiter.under_limits(rate_limit_per_min, size, clock=clock, sleep=sleep)
        policy = retry_policy or RetryPolicy(max_retries=max_retries, budget=retry_budget)
        self._transport = Transport(
            base_url=self.base_url,
            key=self._reveal,
            transport=transport,
            timeout=timeout,
            policy=policy,
            limiter=limiter,
            verify=verify,
            clock=clock,
            wall=wall,
            sleep=sleep,
            max_response_bytes=max_response_bytes,
        )
        self.jobs = JobsResource(self._transport)
        self.assets = AssetsResource(self._transport)
        self.freshness = FreshnessResource(self._transport, self.jobs)
        self.validity = ValidityResource(self._transport)
        self.referential = ReferentialResource(self._transport)
        self.lineage = LineageResource(self._transport)

    def _reveal(self) -> str | None:
        return self._key.reveal() if self._key is not None else None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ArmorClient:
        """Build a client from resolved Settings; keyword overrides win.

        The settings' warnings (a key in a committed or world-readable file, TLS off) are
        logged here, once per client, so every command that talks to the platform shows them.
        """
        for warning in settings.warnings:
            log.warning("%s", warning)
        kwargs: dict[str, Any] = {
            "api_key": settings.api_key,
            "base_url": settings.api_url,
            "timeout": settings.timeout,
            "rate_limit_per_min": settings.rate_limit_per_min,
            "burst": settings.burst,
            "verify": settings.verify_tls,
            "allow_http": settings.allow_http,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    @property
    def stats(self) -> Stats:
        """Request counters (``stats.requests`` includes retries)."""
        return self._transport.stats

    @property
    def timeout(self) -> float:
        """Seconds one request may take before the client gives up on it."""
        return self._transport.timeout

    def set_deadline(self, at: float | None) -> None:
        """No request may run past ``at`` (a ``clock()`` time; None lifts the bound): a call
        still waiting, retrying or in flight then ends with PlatformTimeout."""
        self._transport.deadline = at

    @property
    def limiter(self) -> RateLimiter | None:
        return self._transport.limiter

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Low-level escape hatch: one API call with retries; ``path`` must be pre-encoded."""
        return self._transport.request(method, path, **kwargs)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> ArmorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        key = self._key.masked if self._key is not None else None
        return f"ArmorClient(base_url={self.base_url!r}, api_key={key!r})"
