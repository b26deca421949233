"""Assets routes, mounted both as /assets and /sdk/assets; plus jobs and key usage.

Reads state only through App; shapes through dialect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbt_armor.emulator import dialect
from dbt_armor.emulator.config import TIERS
from dbt_armor.emulator.routes.base import Request, Response, Router, asset_not_found, not_found
from dbt_armor.emulator.routes.common import ok, paged, require

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

router = Router()


def list_assets(app: App, req: Request, _: dict[str, str]) -> Response:
    kind = req.query.get("asset_type") or req.query.get("type")
    source = (req.query.get("source") or "").lower()
    search = (req.query.get("search") or "").lower()
    with app.state.lock:
        if kind == "data_source":
            items = [
                dialect.data_source(ds, len(app.state.tables_of(ds["id"])))
                for ds in app.state.data_sources.values()
            ]
        else:
            items = [dialect.asset(t) for t in app.state.tables.values()]
    items = [
        a
        for a in items
        if (not source or str(a.get("source", "")).lower() == source)
        and (not search or search in a["qualified_name"].lower())
        and (not kind or kind == "data_source" or a["asset_type"] == kind)
    ]
    items.sort(key=lambda a: a["qualified_name"])
    return paged(app, req, items, "data")


def get_asset(app: App, req: Request, params: dict[str, str]) -> Response:
    found = app.state.resolve(params["asset_id"])
    if found is None:
        raise asset_not_found(params["asset_id"])
    kind, rec = found
    if kind == "data_source":
        return ok(dialect.data_source(rec, len(app.state.tables_of(rec["id"]))))
    out = dialect.asset(rec)
    out["columns"] = rec.get("columns") or []
    out["tags"] = rec.get("tags") or []
    return ok(out)


def create_asset(app: App, req: Request, _: dict[str, str]) -> Response:
    body = req.json()
    require(body, "name", "source_type")
    ds = app.state.add_data_source(str(body["name"]), str(body["source_type"]))
    if body.get("description"):
        with app.state.mutate():
            ds["description"] = body["description"]
    return ok(dialect.data_source(ds, 0), 201)


for prefix in ("assets", "sdk/assets"):
    router.add("GET", prefix, list_assets)
    router.add("GET", prefix + "/{asset_id}", get_asset)
    router.add("POST", prefix, create_asset)


@router.route("GET", "sdk/jobs/{job_id}")
def get_job(app: App, req: Request, params: dict[str, str]) -> Response:
    with app.state.mutate() as st:
        job = st.jobs.get(params["job_id"])
        if job is None:
            raise not_found("Job", params["job_id"])
        # A queued job is seen running once, then completed: deterministic polling in tests.
        if job["status"] == "pending":
            job["status"] = "running"
            job["progress"] = 50
        elif job["status"] == "running":
            job.update(status="completed", progress=100, completed_at=job["ready_at"])
        return ok(dict(job))


@router.route("GET", "api-keys/usage")
def key_usage(app: App, req: Request, _: dict[str, str]) -> Response:
    key = req.api_key
    assert key is not None
    per_min, burst, max_keys = TIERS[key.tier]
    same = list(app.keys.values())
    return ok(
        {
            "rate_limit_per_min": per_min,
            "burst_limit": burst,
            "current_count": len(same),
            "max_keys": max_keys or None,
            "can_create": key.scope == "admin" and (max_keys == 0 or len(same) < max_keys),
            "scope": key.scope,
            "tier": key.tier,
        }
    )
