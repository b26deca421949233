"""Paging over every list envelope the platform is known to use (seed shape A, SDK B/C/D)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from client_helpers import make_client

from dbt_armor.api.pagination import iterate, to_page, unwrap_list
from dbt_armor.errors import ResponseFormatError

ITEMS = [{"qualified_name": f"ds.db.raw.t{i}", "status": "fresh"} for i in range(3)]


@pytest.mark.parametrize(
    "body",
    [
        {"data": ITEMS, "pagination": {"total": 3, "limit": 3, "offset": 0, "has_more": False}},
        {"data": {"data": ITEMS, "total": 3, "limit": 3, "offset": 0, "has_more": False}},
        {"data": {"items": ITEMS, "pagination": {"total": 3, "has_more": False}}},
        {"data": {"keys": ITEMS, "total": 3}},
        {"data": {"alerts": ITEMS}},
        ITEMS,
    ],
    ids=["seed-A", "sdk-B", "sdk-C-nested-pagination", "keys", "alerts", "bare-list"],
)
def test_every_envelope_unwraps(body: Any) -> None:
    items, _ = unwrap_list(body, "GET /x")
    assert items == ITEMS
    page = to_page(body, "GET /x", lambda x: x["qualified_name"], limit=3, offset=0)
    assert page.items == [i["qualified_name"] for i in ITEMS]


def test_has_more_from_flag_total_or_full_page() -> None:
    flag = {"data": ITEMS, "pagination": {"has_more": True}}
    assert to_page(flag, "w", dict, limit=100, offset=0).has_more
    total = {"data": {"data": ITEMS, "total": 10}}
    assert to_page(total, "w", dict, limit=3, offset=0).has_more
    assert not to_page(total, "w", dict, limit=3, offset=7).has_more
    assert to_page({"data": ITEMS}, "w", dict, limit=3, offset=0).has_more
    assert not to_page({"data": ITEMS}, "w", dict, limit=4, offset=0).has_more


def test_no_list_is_response_format_error() -> None:
    with pytest.raises(ResponseFormatError, match="no list found"):
        unwrap_list({"data": {"weird": 1}}, "GET /x")
    with pytest.raises(ResponseFormatError):
        unwrap_list("text", "GET /x")


def _server(total: int, dialect: str) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        rows = [
            {"qualified_name": f"t{i}", "status": "stale"}
            for i in range(offset, min(total, offset + limit))
        ]
        more = offset + len(rows) < total
        if dialect == "seed":
            body: Any = {
                "data": rows,
                "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": more},
            }
        elif dialect == "sdk":
            body = {"data": {"data": rows, "total": total, "limit": limit, "offset": offset}}
        else:  # no paging facts at all: only a short page ends the iteration
            body = {"data": rows}
        return httpx.Response(200, json=body)

    return seen, httpx.MockTransport(handler)


@pytest.mark.parametrize("dialect", ["seed", "sdk", "bare"])
@pytest.mark.parametrize("total", [0, 7, 10, 23])
def test_iterator_walks_every_page_once(dialect: str, total: int) -> None:
    seen, transport = _server(total, dialect)
    client = make_client(lambda r: transport.handle_request(r))
    names = [s.qualified_name for s in client.freshness.iter(status="stale", page_size=5)]
    assert names == [f"t{i}" for i in range(total)]
    offsets = [int(r.url.params["offset"]) for r in seen]
    assert offsets == sorted(set(offsets))
    assert all(r.url.params["status"] == "stale" for r in seen)
    assert len(seen) <= total // 5 + 1


def test_page_size_is_clamped_to_api_max() -> None:
    pages: list[int] = []

    def fetch(size: int, offset: int) -> Any:
        pages.append(size)
        return to_page({"data": []}, "w", dict, limit=size, offset=offset)

    assert list(iterate(fetch, page_size=1000)) == []
    assert pages == [100]


def _pages(rows: list[str], on_fetch: Any = None) -> Any:
    """A fetch(limit, offset) over the live list ``rows`` (``on_fetch(call)`` mutates it)."""
    calls = [0]

    def fetch(limit: int, offset: int) -> Any:
        from dbt_armor.api.models.base import Page

        if on_fetch is not None:
            on_fetch(calls[0])
        calls[0] += 1
        items = rows[offset : offset + limit]
        return Page(items=items, total=len(rows), limit=limit, offset=offset,
                    has_more=offset + len(items) < len(rows), raw={})  # fmt: skip

    return fetch, calls


def test_stable_listing_survives_a_delete_and_an_insert_while_paged() -> None:
    from dbt_armor.api.pagination import iterate_stable

    rows = [f"r{i}" for i in range(250)]

    def meddle(call: int) -> None:
        if call == 1:
            del rows[3]  # everything after shifts down by one
        if call == 2:
            rows.insert(0, "new")  # everything after shifts up by one: ids repeat

    fetch, calls = _pages(rows, meddle)
    got = iterate_stable(fetch, lambda r: r, page_size=100)
    assert len(got) == len(set(got)) and set(rows) - {"new"} <= set(got)
    assert calls[0] == 3


def test_stable_listing_restarts_then_gives_up_when_it_keeps_shifting() -> None:
    from dbt_armor.api.pagination import ListingChanged, iterate_stable

    rows = [f"r{i}" for i in range(300)]

    def shift(call: int) -> None:
        if call % 2 == 1:
            del rows[:20]  # more than the overlap, before the next page

    fetch, calls = _pages(rows, shift)
    with pytest.raises(ListingChanged, match="kept changing"):
        iterate_stable(fetch, lambda r: r, page_size=100)
    assert calls[0] == 8  # 4 attempts of 2 pages
