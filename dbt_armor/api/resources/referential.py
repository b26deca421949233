"""Referential checks: the eight ``/sdk/referential/{asset_id}`` endpoints.

Owns request shapes for referential checks; mapping dbt relationships tests belongs to sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbt_armor.api.models import (
    Page,
    ReferentialCheck,
    ReferentialCheckCreate,
    ReferentialCheckResult,
    ReferentialCheckUpdate,
    ReferentialSummary,
    build,
)
from dbt_armor.api.pagination import MAX_PAGE_SIZE, iterate_stable
from dbt_armor.api.paths import join
from dbt_armor.api.resources.base import Resource

R = "referential"


class ReferentialResource(Resource):
    def summary(self, asset_id: str) -> ReferentialSummary:
        return self._object(ReferentialSummary, "GET", join("sdk", R, asset_id, "summary"))

    def list(
        self,
        asset_id: str,
        is_active: bool | None = None,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> Page[ReferentialCheck]:
        params = {"is_active": is_active}
        return self._page(ReferentialCheck, join("sdk", R, asset_id), params, limit, offset)

    def iter(
        self, asset_id: str, is_active: bool | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[ReferentialCheck]:
        fetch = lambda size, off: self.list(asset_id, is_active, size, off)  # noqa: E731
        return iter(iterate_stable(fetch, lambda c: c.id, page_size))

    def get(self, asset_id: str, check_id: str) -> ReferentialCheck:
        return self._object(ReferentialCheck, "GET", join("sdk", R, asset_id, check_id))

    def create(self, asset_id: str, spec: ReferentialCheckCreate) -> ReferentialCheck:
        path = join("sdk", R, asset_id)
        return self._object(ReferentialCheck, "POST", path, json_body=spec.payload())

    def update(self, asset_id: str, check_id: str, **fields: Any) -> ReferentialCheck:
        body = build(ReferentialCheckUpdate, fields).payload()
        path = join("sdk", R, asset_id, check_id)
        return self._object(ReferentialCheck, "PATCH", path, json_body=body)

    def delete(self, asset_id: str, check_id: str) -> None:
        self._delete(join("sdk", R, asset_id, check_id))

    def execute(self, asset_id: str, check_id: str) -> ReferentialCheckResult:
        path = join("sdk", R, asset_id, check_id, "execute")
        return self._object(ReferentialCheckResult, "POST", path)

    def results(
        self, asset_id: str, check_id: str, limit: int = MAX_PAGE_SIZE, offset: int = 0
    ) -> Page[ReferentialCheckResult]:
        path = join("sdk", R, asset_id, check_id, "results")
        return self._page(ReferentialCheckResult, path, {}, limit, offset)
