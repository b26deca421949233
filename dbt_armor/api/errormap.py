"""Turn a failed call (an HTTP error answer, no answer at all, a spent retry budget) into the
right ArmorError subclass: the one place that does so.

Reads every error-body dialect the platform is known to send; it must not retry or log.
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from dbt_armor.errors import (
    ApiError,
    ApiStatusError,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PlatformTimeout,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TransportError,
    ValidationError,
)

_HINTS: dict[int, str] = {
    401: "check ARMOR_API_KEY: it is missing, mistyped or revoked",
    403: "use a key with a larger scope (read-write for writes)",
    404: "check the identifier; qualified names look like source.database.schema.table",
    409: "the object changed meanwhile; re-read it and try again",
    429: "slow down: lower the concurrency or set the right ARMOR_TIER",
}


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def error_body(content: bytes) -> tuple[str | None, str | None, dict[str, Any]]:
    """Extract (code, message, details) from any known error envelope; Nones when absent."""
    try:
        body = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        return None, None, {}
    if not isinstance(body, dict):
        return None, None, {}
    err = body.get("error")
    if isinstance(err, dict) and err:
        details = err.get("details")
        return (
            _str_or_none(err.get("code")),
            _str_or_none(err.get("message")) or _str_or_none(body.get("message")),
            details if isinstance(details, dict) else {},
        )
    if isinstance(err, str) and err:
        return None, _str_or_none(body.get("message")) or err, {}
    detail = body.get("detail")  # FastAPI validation errors
    if isinstance(detail, list):
        msgs = [str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail]
        return "VALIDATION_ERROR", "; ".join(msgs), {"errors": detail}
    if isinstance(detail, str):
        return None, detail, {}
    return None, _str_or_none(body.get("message")), {}


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def error_for_status(
    status: int,
    content: bytes,
    *,
    method: str,
    path: str,
    retry_after: str | None = None,
    now: float = 0.0,
) -> ApiStatusError | ResponseFormatError:
    """Map an HTTP error status and body to one exception instance (not raised)."""
    code, message, details = error_body(content)
    where = f"{method} {path}"
    text = f"{where} failed with HTTP {status}"
    if code:
        text += f" {code}"
    if message:
        text += f": {message}"
    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "details": details,
        "method": method,
        "url": path,
    }
    hint = _HINTS.get(status)
    if status == 401:
        return AuthenticationError(text, hint=hint, **kwargs)
    if status == 403:
        required = details.get("required_scope")
        current = details.get("current_scope")
        if required or current:
            hint = f"this key has scope {current or '?'}; use a key with scope {required or '?'}"
        return ForbiddenError(text, hint=hint, **kwargs)
    if status == 404:
        return NotFoundError(text, hint=hint, **kwargs)
    if status in (400, 422):
        return ValidationError(text, hint="fix the request parameters shown above", **kwargs)
    if status == 409:
        return ConflictError(text, hint=hint, **kwargs)
    if status == 429:
        seconds = parse_retry_after(retry_after, now)
        if seconds is not None:
            hint = f"rate limited; retry after {seconds:.0f}s, or lower the request rate"
        return RateLimitError(text, retry_after=seconds, hint=hint, **kwargs)
    if status >= 500:
        return ServerError(text, hint="the platform is failing; retry later", **kwargs)
    if 300 <= status < 400:
        return ResponseFormatError(
            f"{where} answered with a redirect (HTTP {status}); redirects are not followed so "
            "the API key is never sent elsewhere",
            hint="set ARMOR_API_URL to the final API address",
            status_code=status,
            method=method,
            url=path,
        )
    return ApiStatusError(text, hint="unexpected HTTP status from the platform", **kwargs)


def error_for_transport(
    method: str, path: str, exc: httpx.TransportError, base_url: str, key: str | None
) -> ApiError:
    """The error for a request that got no HTTP answer (the key is scrubbed from the reason:
    an HTTP-layer error may quote the Authorization header)."""
    cls = PlatformTimeout if isinstance(exc, httpx.TimeoutException) else TransportError
    reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    if key:
        reason = reason.replace(key, "<api key>")
    return cls(
        f"{method} {path} got no answer from {base_url} ({reason})",
        hint="check the network and ARMOR_API_URL; the platform may be down",
        method=method,
        url=path,
    )


def out_of_budget(error: ApiError, delay: float, budget: float) -> ApiError:
    """The last attempt's error when the next retry (after ``delay``) would overrun the
    ``budget``: a status error stays itself, anything else becomes a PlatformTimeout."""
    note = f"next retry in {delay:.1f}s would exceed the {budget:g}s retry budget"
    error.hint = f"{error.hint}; {note}" if error.hint else note
    if isinstance(error, ApiStatusError):
        return error
    return PlatformTimeout(error.message, hint=error.hint, method=error.method, url=error.url)
