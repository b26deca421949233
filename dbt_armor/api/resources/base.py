"""Common plumbing for resource classes: single-object envelopes and paged list calls.

Owns unwrapping ``{"data": ...}``; it must not build URLs from raw identifiers (use paths.join).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from dbt_armor.api.models.base import Page, parse
from dbt_armor.api.pagination import check_limit, to_page
from dbt_armor.api.transport import Transport

M = TypeVar("M", bound=BaseModel)


def unwrap_object(body: Any) -> Any:
    """``{"data": {...}}`` (also inside the ``success/meta`` envelope) -> the inner object."""
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    return body


class Resource:
    """A group of endpoints sharing one transport."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def _object(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> M:
        body = self._t.request(method, path, params=params, json_body=json_body)
        return parse(model, unwrap_object(body), f"{method} {path}")

    def _page(
        self,
        model: type[M],
        path: str,
        params: Mapping[str, Any],
        limit: int,
        offset: int,
    ) -> Page[M]:
        size = check_limit(limit)
        query = {**params, "limit": size, "offset": max(0, offset)}
        body = self._t.request("GET", path, params=query)
        where = f"GET {path}"
        return to_page(
            body, where, lambda item: parse(model, item, where), limit=size, offset=offset
        )

    def _delete(self, path: str) -> None:
        self._t.request("DELETE", path)
