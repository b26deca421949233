"""The HTTP shell of the client: auth header, rate limiting, retries within a time budget.

Sends every request to the platform (``api.body`` reads the answers, ``api.errormap`` names the
failures); it knows nothing about resources or models.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from dbt_armor import __version__
from dbt_armor.api.body import MAX_RESPONSE_BYTES, decode, looks_like_html, read_bounded
from dbt_armor.api.errormap import (
    error_for_status,
    error_for_transport,
    out_of_budget,
    parse_retry_after,
)
from dbt_armor.api.limiter import RateLimiter
from dbt_armor.api.retry import RetryPolicy
from dbt_armor.errors import (
    ApiError,
    ApiStatusError,
    PlatformTimeout,
    ResponseFormatError,
)

log = logging.getLogger("dbt_armor.api")

USER_AGENT = f"dbt-armor/{__version__}"


@dataclass
class Stats:
    """Counters shared by every thread using one client."""

    requests: int = 0
    retries: int = 0
    rate_limit_limit: int | None = None
    rate_limit_remaining: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1


@dataclass
class _Outcome:
    """One attempt's result: a parsed body, or an error and whether to retry it."""

    body: Any = None
    error: ApiError | None = None
    retry: bool = False
    retry_after: float | None = None


class Transport:
    """Sends one logical API call, with retries, pacing and a total time budget."""

    def __init__(
        self,
        *,
        base_url: str,
        key: Callable[[], str | None],
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        verify: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.base_url = base_url
        self._key = key
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.limiter = limiter
        self._clock, self._wall, self._sleep = clock, wall, sleep
        self.max_response_bytes = max_response_bytes
        self.stats = Stats()
        # Absolute clock() time no call may outlive (a caller's total budget); None = unset.
        self.deadline: float | None = None
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            verify=verify,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    @property
    def clock(self) -> Callable[[], float]:
        return self._clock

    @property
    def sleep(self) -> Callable[[float], None]:
        return self._sleep

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Any:
        """Send ``method path`` and return the decoded JSON body (None when empty)."""
        method = method.upper()
        clean = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        deadline = self._clock() + self.policy.budget
        if self.deadline is not None and self.deadline < deadline:
            deadline = self.deadline
        attempt = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                wait = self.limiter.reserve()
                if self._clock() + wait > deadline:
                    raise self._budget_error(method, path, "waiting for the client rate limit")
                if wait > 0:
                    self._sleep(wait)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise self._budget_error(method, path, "before the request could be sent")
            outcome = self._attempt(
                method, path, clean, json_body, files, data, min(self.timeout, remaining), attempt
            )
            if outcome.error is None:
                return outcome.body
            if not outcome.retry or attempt > self.policy.max_retries:
                raise outcome.error
            delay = self.policy.backoff(attempt, outcome.retry_after)
            if self._clock() + delay >= deadline:
                raise out_of_budget(outcome.error, delay, self.policy.budget)
            log.debug("retrying %s %s in %.2fs (attempt %d failed)", method, path, delay, attempt)
            self.stats.count_retry()
            if delay > 0:
                self._sleep(delay)

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        json_body: Any,
        files: Mapping[str, Any] | None,
        data: Mapping[str, str] | None,
        timeout: float,
        attempt: int,
    ) -> _Outcome:
        headers = {}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        started = self._clock()
        self.stats.count_request()
        try:
            with self._http.stream(
                method,
                path,
                params=params,
                json=json_body,
                files=files,
                data=data,
                headers=headers,
                timeout=httpx.Timeout(timeout),
            ) as resp:
                content = read_bounded(
                    resp,
                    method,
                    path,
                    deadline=started + timeout,
                    clock=self._clock,
                    limit=self.max_response_bytes,
                )
        except ResponseFormatError as exc:
            return _Outcome(error=exc)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.debug("%s %s: connect failed (attempt %d): %s", method, path, attempt, exc)
            return _Outcome(
                error=error_for_transport(method, path, exc, self.base_url, self._key()),
                retry=self.policy.retryable_transport(method, sent=False),
            )
        except httpx.TransportError as exc:
            log.debug("%s %s: no answer (attempt %d): %s", method, path, attempt, exc)
            return _Outcome(
                error=error_for_transport(method, path, exc, self.base_url, self._key()),
                retry=self.policy.retryable_transport(method, sent=True),
            )
        elapsed_ms = (self._clock() - started) * 1000
        log.debug(
            "%s %s -> %d in %.1f ms (attempt %d)",
            method,
            path,
            resp.status_code,
            elapsed_ms,
            attempt,
        )
        self._observe_rate_headers(resp.headers)
        status = resp.status_code
        if self.limiter is not None:
            if status == 429:
                self.limiter.observe_429()
            else:
                self.limiter.observe_ok()
        if 200 <= status < 300:
            return _Outcome(body=decode(content, resp, method, path))
        error = error_for_status(
            status,
            content,
            method=method,
            path=path,
            retry_after=resp.headers.get("Retry-After"),
            now=self._wall(),
        )
        if looks_like_html(content, resp) and isinstance(error, ApiStatusError):
            error.hint = (error.hint or "") + "; the answer was an HTML page, check ARMOR_API_URL"
        retry_after = getattr(error, "retry_after", None)
        if retry_after is None and status == 503:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"), self._wall())
        return _Outcome(
            error=error,
            retry=self.policy.retryable_status(method, status),
            retry_after=retry_after,
        )

    def _observe_rate_headers(self, headers: httpx.Headers) -> None:
        limit = _int_header(headers, "X-RateLimit-Limit")
        remaining = _int_header(headers, "X-RateLimit-Remaining")
        if limit is not None:
            self.stats.rate_limit_limit = limit
            if self.limiter is not None:
                self.limiter.observe_limit(limit)
        if remaining is None:
            return
        self.stats.rate_limit_remaining = remaining
        reset = _int_header(headers, "X-RateLimit-Reset")
        if reset is not None and self.limiter is not None:
            self.limiter.observe(remaining, reset - self._wall())

    def _budget_error(self, method: str, path: str, when: str) -> PlatformTimeout:
        if self.deadline is not None and self._clock() + 1e-3 >= self.deadline:
            return PlatformTimeout(
                f"{method} {path}: the caller's time budget ran out {when}",
                hint="raise the time budget or retry later",
                method=method,
                url=path,
            )
        return PlatformTimeout(
            f"{method} {path}: retry budget of {self.policy.budget:g}s used up {when}",
            hint="raise retry_budget or retry later",
            method=method,
            url=path,
        )


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None
