"""The body of one platform answer: read within a size bound and a deadline, decoded as JSON,
and recognised when a proxy or web page answered instead of the API. No retries, no auth."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from dbt_armor.errors import ResponseFormatError

MAX_RESPONSE_BYTES = 50 * 1024 * 1024


def read_bounded(
    resp: httpx.Response,
    method: str,
    path: str,
    *,
    deadline: float,
    clock: Callable[[], float],
    limit: int = MAX_RESPONSE_BYTES,
) -> bytes:
    """The body, refused beyond ``limit`` bytes or when it is still trickling in at
    ``deadline`` (a slow drip resets httpx's per-read timeout on every chunk)."""
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_big(method, path, resp.status_code, limit)
    chunks: list[bytes] = []
    total = 0
    for chunk in resp.iter_bytes():
        if clock() > deadline:
            raise httpx.ReadTimeout("the response body arrived too slowly")
        total += len(chunk)
        if total > limit:
            raise too_big(method, path, resp.status_code, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def too_big(method: str, path: str, status: int, limit: int) -> ResponseFormatError:
    """The error for an answer larger than ``limit`` bytes."""
    return ResponseFormatError(
        f"{method} {path} answered with more than {limit / (1024 * 1024):g} MB (HTTP {status})",
        hint="use a smaller page size or filter; a proxy may be answering instead of the API",
        status_code=status,
        method=method,
        url=path,
    )


def decode(content: bytes, resp: httpx.Response, method: str, path: str) -> Any:
    """The JSON of a successful answer (None when empty); ResponseFormatError otherwise."""
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        what = "an HTML page" if looks_like_html(content, resp) else "a body that is not JSON"
        raise ResponseFormatError(
            f"{method} {path} answered HTTP {resp.status_code} with {what}",
            hint="a proxy or web page answered instead of the API; check ARMOR_API_URL",
            status_code=resp.status_code,
            method=method,
            url=path,
        ) from exc


def looks_like_html(content: bytes, resp: httpx.Response) -> bool:
    """Whether the answer is a web page (a proxy's login or error page) rather than JSON."""
    ctype = resp.headers.get("Content-Type", "").lower()
    return "html" in ctype or content.lstrip()[:1] == b"<"
