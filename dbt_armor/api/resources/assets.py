"""Assets: list, iterate and get, on ``/sdk/assets`` with a fallback to ``/assets`` (D-2).

Owns choosing and remembering the working prefix; it must not interpret asset contents.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from dbt_armor.api.models import Asset, Page
from dbt_armor.api.pagination import MAX_PAGE_SIZE, iterate
from dbt_armor.api.paths import join
from dbt_armor.api.resources.base import Resource
from dbt_armor.api.transport import Transport
from dbt_armor.errors import NotFoundError

R = TypeVar("R")
PREFIXES = (("sdk", "assets"), ("assets",))


class AssetsResource(Resource):
    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        self._prefix: tuple[str, ...] | None = None
        self._lock = threading.Lock()

    @property
    def prefix(self) -> tuple[str, ...] | None:
        """The route prefix that answered last, or None before the first success."""
        return self._prefix

    def _with_prefix(self, call: Callable[[tuple[str, ...]], R], *, by_id: bool) -> R:
        known = self._prefix
        if known is not None:
            return call(known)
        first_error: NotFoundError | None = None
        for prefix in PREFIXES:
            try:
                result = call(prefix)
            except NotFoundError as exc:
                # A "this asset does not exist" answer proves the route exists: do not fall back.
                if by_id and exc.code == "ASSET_NOT_FOUND":
                    with self._lock:
                        self._prefix = prefix
                    raise
                first_error = first_error or exc
                continue
            with self._lock:
                self._prefix = prefix
            return result
        assert first_error is not None
        raise first_error

    def list(
        self,
        source: str | None = None,
        asset_type: str | None = None,
        search: str | None = None,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> Page[Asset]:
        params = {"source": source, "asset_type": asset_type, "type": asset_type, "search": search}
        return self._with_prefix(
            lambda p: self._page(Asset, join(*p), params, limit, offset), by_id=False
        )

    def iter(
        self,
        source: str | None = None,
        asset_type: str | None = None,
        search: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[Asset]:
        return iterate(
            lambda size, off: self.list(source, asset_type, search, size, off), page_size
        )

    def get(self, id_or_qualified_name: str) -> Asset:
        return self._with_prefix(
            lambda p: self._object(Asset, "GET", join(*p, id_or_qualified_name)), by_id=True
        )
