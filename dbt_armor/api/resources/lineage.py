"""Lineage: the graph around an asset, the lineage list, and dbt manifest upload.

Owns the lineage endpoints; deciding when to upload (change detection) belongs to lineage.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbt_armor.api.models import LineageGraph, LineageListItem, LineageUploadResult, Page, parse
from dbt_armor.api.pagination import MAX_PAGE_SIZE, iterate
from dbt_armor.api.paths import join
from dbt_armor.api.resources.base import Resource, unwrap_object


class LineageResource(Resource):
    def get(
        self, id_or_qualified_name: str, direction: str = "both", depth: int = 1
    ) -> LineageGraph:
        params = {"direction": direction, "depth": max(1, min(5, depth))}
        path = join("sdk", "lineage", id_or_qualified_name)
        return self._object(LineageGraph, "GET", path, params=params)

    def list(
        self,
        source: str | None = None,
        asset_id: str | None = None,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> Page[LineageListItem]:
        params = {"source": source, "asset_id": asset_id}
        return self._page(LineageListItem, join("sdk", "lineage"), params, limit, offset)

    def iter(
        self, source: str | None = None, asset_id: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[LineageListItem]:
        return iterate(lambda size, off: self.list(source, asset_id, size, off), page_size)

    def upload(
        self,
        asset_id: str,
        content: bytes,
        filename: str = "manifest.json",
        sync_to_catalog: bool = True,
    ) -> LineageUploadResult:
        """Upload a dbt manifest (multipart ``file`` + ``sync_to_catalog``). Not retried once
        sent, like every POST."""
        path = join("assets", asset_id, "lineage", "upload")
        body = self._t.request(
            "POST",
            path,
            files={"file": (filename, content, "application/json")},
            data={"sync_to_catalog": "true" if sync_to_catalog else "false"},
        )
        return parse(LineageUploadResult, unwrap_object(body), f"POST {path}")
