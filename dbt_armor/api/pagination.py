"""List envelopes and offset/limit paging, whatever shape the server uses (armor-api.md D-5).

Owns finding the item list and the paging facts in a decoded body, and reading every page of a
listing that changes while it is read; it must not send requests itself.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

from dbt_armor.api.models.base import Page
from dbt_armor.errors import ApiError, ResponseFormatError

T = TypeVar("T")

MAX_PAGE_SIZE = 100
# Keys under which a list has been seen inside ``data`` (SDK shapes B, C and D).
_LIST_KEYS = ("data", "items", "keys", "alerts", "incidents", "history", "results", "schedules")
_PAGING_KEYS = ("total", "limit", "offset", "has_more")


def unwrap_list(body: Any, where: str) -> tuple[list[Any], dict[str, Any]]:
    """Return (raw items, paging facts) from any known list envelope."""
    if isinstance(body, list):
        return body, {}
    if not isinstance(body, dict):
        raise ResponseFormatError(
            f"{where}: expected a JSON list envelope, got {type(body).__name__}",
            hint="the server does not speak this API version; check ARMOR_API_URL",
        )
    data = body.get("data", body)
    paging: dict[str, Any] = {}
    for holder in (body.get("pagination"), body.get("meta")):
        if isinstance(holder, dict):
            paging.update({k: holder[k] for k in _PAGING_KEYS if k in holder})
    if isinstance(data, list):
        return data, paging
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            items = data.get(key)
            if isinstance(items, list):
                inner = data.get("pagination")
                source = inner if isinstance(inner, dict) else data
                paging.update({k: source[k] for k in _PAGING_KEYS if k in source})
                return items, paging
    raise ResponseFormatError(
        f"{where}: no list found in the response (keys: {', '.join(sorted(body)) or 'none'})",
        hint="the server does not speak this API version; check ARMOR_API_URL",
    )


def to_page(
    body: Any, where: str, parse_item: Callable[[Any], T], *, limit: int, offset: int
) -> Page[T]:
    """Build a Page, deciding ``has_more`` from the flag, the total, or a full page."""
    raw_items, paging = unwrap_list(body, where)
    items = [parse_item(item) for item in raw_items]
    total = _int_or_none(paging.get("total"))
    flag = paging.get("has_more")
    if isinstance(flag, bool):
        has_more = flag
    elif total is not None:
        has_more = offset + len(items) < total
    else:
        has_more = len(items) >= limit > 0
    if not items:
        has_more = False
    return Page(
        items=items,
        total=total,
        limit=_int_or_none(paging.get("limit")) or limit,
        offset=_int_or_none(paging.get("offset")) or offset,
        has_more=has_more,
        raw=body if isinstance(body, dict) else {},
    )


def iterate(
    fetch: Callable[[int, int], Page[T]], page_size: int = MAX_PAGE_SIZE, start: int = 0
) -> Iterator[T]:
    """Yield every item across pages; stop on ``has_more: false`` or a short page."""
    size = check_limit(page_size)
    offset = start
    while True:
        page = fetch(size, offset)
        yield from page.items
        if not page.has_more or len(page.items) < size:
            return
        offset += len(page.items)


OVERLAP = 10  # items each page repeats of the one before, to notice a listing that shifted
RESTARTS = 3


class ListingChanged(ApiError):
    """A listing kept shifting (objects deleted while it was paged) after every restart."""


def iterate_stable(
    fetch: Callable[[int, int], Page[T]],
    ident: Callable[[T], Hashable],
    page_size: int = MAX_PAGE_SIZE,
) -> list[T]:
    """Every item once (by ``ident``), though items are added or deleted during the listing.

    Pages overlap by a few items: an insert before the offset repeats items (dropped here), a
    delete before it shifts the rest down; as long as the new page still holds one of the
    previous page's last items nothing was skipped, otherwise the listing starts again.
    """
    size = check_limit(page_size)
    overlap = min(OVERLAP, size // 4)
    for _ in range(RESTARTS + 1):
        items = _stable_pass(fetch, ident, size, overlap)
        if items is not None:
            return items
    raise ListingChanged(
        f"a listing kept changing while it was read ({RESTARTS + 1} attempts)",
        hint="something is deleting objects right now; retry when it has finished",
    )


def _stable_pass(
    fetch: Callable[[int, int], Page[T]], ident: Callable[[T], Hashable], size: int, overlap: int
) -> list[T] | None:
    """One pass over the pages; None when it shifted past the overlap (start again)."""
    seen: dict[Hashable, T] = {}
    offset = 0
    tail: set[Hashable] = set()
    while True:
        page = fetch(size, offset)
        ids = [ident(item) for item in page.items]
        if tail and not tail.intersection(ids):
            return None
        for key, item in zip(ids, page.items, strict=True):
            seen.setdefault(key, item)
        if not page.has_more or len(page.items) < size:
            return list(seen.values())
        tail = set(ids[-overlap:]) if overlap else set()
        offset += len(page.items) - overlap


def check_limit(limit: int) -> int:
    """Clamp a page size to the API's 1..100 range."""
    return max(1, min(MAX_PAGE_SIZE, int(limit)))


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
