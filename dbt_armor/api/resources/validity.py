"""Validity rules: the eight ``/sdk/validity/{asset_id}`` endpoints.

Owns request shapes for validity rules; rule-type spelling is chosen by the caller (sync).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbt_armor.api.models import (
    Page,
    ValidityCheckResult,
    ValidityRule,
    ValidityRuleCreate,
    ValidityRuleUpdate,
    ValiditySummary,
    build,
)
from dbt_armor.api.pagination import MAX_PAGE_SIZE, iterate_stable
from dbt_armor.api.paths import join
from dbt_armor.api.resources.base import Resource

V = "validity"


class ValidityResource(Resource):
    def summary(self, asset_id: str) -> ValiditySummary:
        return self._object(ValiditySummary, "GET", join("sdk", V, asset_id, "summary"))

    def list(
        self,
        asset_id: str,
        rule_type: str | None = None,
        is_active: bool | None = None,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> Page[ValidityRule]:
        params = {"rule_type": rule_type, "is_active": is_active}
        return self._page(ValidityRule, join("sdk", V, asset_id), params, limit, offset)

    def iter(
        self,
        asset_id: str,
        rule_type: str | None = None,
        is_active: bool | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[ValidityRule]:
        fetch = lambda size, off: self.list(asset_id, rule_type, is_active, size, off)  # noqa: E731
        return iter(iterate_stable(fetch, lambda r: r.uuid or str(r.id), page_size))

    def get(self, asset_id: str, rule_id: str) -> ValidityRule:
        return self._object(ValidityRule, "GET", join("sdk", V, asset_id, rule_id))

    def create(self, asset_id: str, spec: ValidityRuleCreate) -> ValidityRule:
        path = join("sdk", V, asset_id)
        return self._object(ValidityRule, "POST", path, json_body=spec.payload())

    def update(self, asset_id: str, rule_id: str, **fields: Any) -> ValidityRule:
        body = build(ValidityRuleUpdate, fields).payload()
        return self._object(
            ValidityRule, "PATCH", join("sdk", V, asset_id, rule_id), json_body=body
        )

    def delete(self, asset_id: str, rule_id: str) -> None:
        self._delete(join("sdk", V, asset_id, rule_id))

    def check(self, asset_id: str, rule_id: str, sample_limit: int = 10) -> ValidityCheckResult:
        path = join("sdk", V, asset_id, rule_id, "check")
        body = {"sample_limit": sample_limit}
        return self._object(ValidityCheckResult, "POST", path, json_body=body)

    def results(
        self, asset_id: str, rule_id: str, limit: int = MAX_PAGE_SIZE, offset: int = 0
    ) -> Page[ValidityCheckResult]:
        path = join("sdk", V, asset_id, rule_id, "results")
        return self._page(ValidityCheckResult, path, {}, limit, offset)
