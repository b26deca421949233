"""Freshness: summary, status list/get, refresh (with wait and job polling), and schedules.

Owns the freshness endpoints only; deciding whether a status blocks a run belongs to the gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbt_armor.api.models import (
    FreshnessSchedule,
    FreshnessScheduleCreate,
    FreshnessScheduleUpdate,
    FreshnessStatus,
    FreshnessSummary,
    Job,
    Page,
    build,
    parse,
)
from dbt_armor.api.pagination import MAX_PAGE_SIZE, iterate, iterate_stable
from dbt_armor.api.paths import join
from dbt_armor.api.resources.base import Resource, unwrap_object
from dbt_armor.api.resources.jobs import JobsResource
from dbt_armor.api.transport import Transport


class FreshnessResource(Resource):
    def __init__(self, transport: Transport, jobs: JobsResource) -> None:
        super().__init__(transport)
        self._jobs = jobs

    def summary(self) -> FreshnessSummary:
        return self._object(FreshnessSummary, "GET", join("sdk", "freshness", "summary"))

    def list(
        self,
        status: str | None = None,
        source: str | None = None,
        asset_id: str | None = None,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> Page[FreshnessStatus]:
        params = {"status": status, "source": source, "asset_id": asset_id}
        return self._page(FreshnessStatus, join("sdk", "freshness"), params, limit, offset)

    def iter(
        self,
        status: str | None = None,
        source: str | None = None,
        asset_id: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[FreshnessStatus]:
        return iterate(lambda size, off: self.list(status, source, asset_id, size, off), page_size)

    def get(self, id_or_qualified_name: str) -> FreshnessStatus:
        return self._object(FreshnessStatus, "GET", join("sdk", "freshness", id_or_qualified_name))

    def refresh(self, id_or_qualified_name: str, wait: bool = False, timeout: float = 120.0) -> Job:
        """Start a freshness check. With ``wait`` ask the server to block, and poll the job
        when it answers before the job is done."""
        path = join("sdk", "freshness", id_or_qualified_name, "refresh")
        body = self._t.request("POST", path, params={"wait": True} if wait else None)
        job = parse(Job, unwrap_object(body), f"POST {path}")
        if wait and not job.done and job.job_id:
            return self._jobs.wait(job.job_id, timeout=timeout)
        return job

    # ------------------------------------------------------------------ schedules

    def list_schedules(
        self,
        asset_id: str | None = None,
        active_only: bool = False,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> Page[FreshnessSchedule]:
        params: dict[str, Any] = {
            "asset_id": asset_id,
            "active_only": True if active_only else None,
        }
        path = join("sdk", "freshness", "schedules")
        return self._page(FreshnessSchedule, path, params, limit, offset)

    def iter_schedules(
        self, asset_id: str | None = None, active_only: bool = False, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[FreshnessSchedule]:
        fetch = lambda size, off: self.list_schedules(asset_id, active_only, size, off)  # noqa: E731
        return iter(iterate_stable(fetch, lambda s: s.id, page_size))

    def create_schedule(self, spec: FreshnessScheduleCreate) -> FreshnessSchedule:
        path = join("sdk", "freshness", "schedules")
        return self._object(FreshnessSchedule, "POST", path, json_body=spec.payload())

    def update_schedule(self, schedule_id: str, **fields: Any) -> FreshnessSchedule:
        body = build(FreshnessScheduleUpdate, fields).payload()
        path = join("sdk", "freshness", "schedules", schedule_id)
        return self._object(FreshnessSchedule, "PATCH", path, json_body=body)

    def delete_schedule(self, schedule_id: str) -> None:
        self._delete(join("sdk", "freshness", "schedules", schedule_id))
