"""The HTTP shell of the client: auth header, rate limiting, retries, size bound, JSON decoding.

Owns every byte exchanged with the platform; it knows nothing about resources or models.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from dbt_armor import __version__
from dbt_armor.api.errormap import error_for_status, parse_retry_after
from dbt_armor.api.limiter import RateLimiter
from dbt_armor.api.retry import RetryPolicy
from dbt_armor.errors import (
    ApiError,
    ApiStatusError,
    PlatformTimeout,
    ResponseFormatError,
    TransportError,
)

log = logging.getLogger("dbt_armor.api")

MAX_RESPONSE_BYTES = 50 * 1024 * 1024
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
                raise self._exhausted(outcome.error, delay)
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
                content = self._read_bounded(resp, method, path, started + timeout)
        except ResponseFormatError as exc:
            return _Outcome(error=exc)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.debug("%s %s: connect failed (attempt %d): %s", method, path, attempt, exc)
            return _Outcome(
                error=self._transport_error(method, path, exc),
                retry=self.policy.retryable_transport(method, sent=False),
            )
        except httpx.TransportError as exc:
            log.debug("%s %s: no answer (attempt %d): %s", method, path, attempt, exc)
            return _Outcome(
                error=self._transport_error(method, path, exc),
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
            return _Outcome(body=self._decode(content, resp, method, path))
        error = error_for_status(
            status,
            content,
            method=method,
            path=path,
            retry_after=resp.headers.get("Retry-After"),
            now=self._wall(),
        )
        if _looks_like_html(content, resp) and isinstance(error, ApiStatusError):
            error.hint = (error.hint or "") + "; the answer was an HTML page, check ARMOR_API_URL"
        retry_after = getattr(error, "retry_after", None)
        if retry_after is None and status == 503:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"), self._wall())
        return _Outcome(
            error=error,
            retry=self.policy.retryable_status(method, status),
            retry_after=retry_after,
        )

    def _read_bounded(self, resp: httpx.Response, method: str, path: str, deadline: float) -> bytes:
        """The body, refused beyond ``max_response_bytes`` or when it is still trickling in at
        ``deadline`` (a slow drip resets httpx's per-read timeout on every chunk)."""
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise self._too_big(method, path, resp.status_code)
        chunks: list[bytes] = []
        total = 0
        for chunk in resp.iter_bytes():
            if self._clock() > deadline:
                raise httpx.ReadTimeout("the response body arrived too slowly")
            total += len(chunk)
            if total > self.max_response_bytes:
                raise self._too_big(method, path, resp.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, method: str, path: str, status: int) -> ResponseFormatError:
        limit_mb = self.max_response_bytes / (1024 * 1024)
        return ResponseFormatError(
            f"{method} {path} answered with more than {limit_mb:g} MB (HTTP {status})",
            hint="use a smaller page size or filter; a proxy may be answering instead of the API",
            status_code=status,
            method=method,
            url=path,
        )

    def _decode(self, content: bytes, resp: httpx.Response, method: str, path: str) -> Any:
        if not content.strip():
            return None
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            what = "an HTML page" if _looks_like_html(content, resp) else "a body that is not JSON"
            raise ResponseFormatError(
                f"{method} {path} answered HTTP {resp.status_code} with {what}",
                hint="a proxy or web page answered instead of the API; check ARMOR_API_URL",
                status_code=resp.status_code,
                method=method,
                url=path,
            ) from exc

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

    def _transport_error(self, method: str, path: str, exc: httpx.TransportError) -> ApiError:
        cls = PlatformTimeout if isinstance(exc, httpx.TimeoutException) else TransportError
        reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        key = self._key()
        if key:  # an HTTP-layer error may quote the Authorization header
            reason = reason.replace(key, "<api key>")
        return cls(
            f"{method} {path} got no answer from {self.base_url} ({reason})",
            hint="check the network and ARMOR_API_URL; the platform may be down",
            method=method,
            url=path,
        )

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

    def _exhausted(self, error: ApiError, delay: float) -> ApiError:
        note = f"next retry in {delay:.1f}s would exceed the {self.policy.budget:g}s retry budget"
        error.hint = f"{error.hint}; {note}" if error.hint else note
        if isinstance(error, ApiStatusError):
            return error
        return PlatformTimeout(error.message, hint=error.hint, method=error.method, url=error.url)


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


def _looks_like_html(content: bytes, resp: httpx.Response) -> bool:
    ctype = resp.headers.get("Content-Type", "").lower()
    return "html" in ctype or content.lstrip()[:1] == b"<"
