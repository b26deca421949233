"""Freshness routes: summary, list, get (with history), refresh + jobs, schedules, dry-run.

Evaluation lives in evaluate.py; this module only parses requests and shapes answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbt_armor.emulator import dialect, evaluate
from dbt_armor.emulator.routes.base import Request, Response, Router, not_found, validation
from dbt_armor.emulator.routes.common import (
    check_types,
    default_table_path,
    ok,
    paged,
    path_matches,
    quality_scope,
    require,
    table_asset,
)
from dbt_armor.emulator.state import iso

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

router = Router()
STATUSES = ("fresh", "stale", "unknown", "disabled")
INTERVALS = ("5m", "15m", "30m", "1h", "3h", "6h", "12h", "1d", "1w")


def _all(app: App) -> list[dict[str, Any]]:
    with app.state.lock:
        tables = sorted(app.state.tables.values(), key=lambda t: t["qualified_name"])
    return [evaluate.freshness(app, t) for t in tables]


@router.route("GET", "sdk/freshness/summary")
def summary(app: App, req: Request, _: dict[str, str]) -> Response:
    counts: dict[str, int] = {"total": 0}
    by_source: dict[str, dict[str, int]] = {}
    for f in _all(app):
        counts["total"] += 1
        counts[f["status"]] = counts.get(f["status"], 0) + 1
        src = by_source.setdefault(f["source"], {"total": 0, "fresh": 0, "stale": 0})
        src["total"] += 1
        if f["status"] in ("fresh", "stale"):
            src[f["status"]] += 1
    return ok(dialect.freshness_summary(counts, by_source))


@router.route("GET", "sdk/freshness")
def list_status(app: App, req: Request, _: dict[str, str]) -> Response:
    status = req.query.get("status")
    if status and status not in STATUSES:
        raise validation(f"status must be one of {', '.join(STATUSES)}", field="status")
    source = (req.query.get("source") or "").lower()
    asset_id = req.query.get("asset_id")
    with app.state.lock:
        tables = sorted(app.state.tables.values(), key=lambda t: t["qualified_name"])
    if source:
        tables = [t for t in tables if t["source"].lower() == source]
    if asset_id:
        found = app.state.resolve(asset_id)
        if found is None:
            tables = []
        elif found[0] == "table":
            tables = [found[1]]
        else:
            tables = [t for t in tables if t["data_source_id"] == found[1]["id"]]
    if not status:  # evaluate only the requested page: probes cost a warehouse query each
        return paged(
            app,
            req,
            tables,
            "data",
            render=lambda t: dialect.freshness_status(evaluate.freshness(app, t), app.dialect),
        )
    items = [f for f in (evaluate.freshness(app, t) for t in tables) if f["status"] == status]
    return paged(app, req, [dialect.freshness_status(f, app.dialect) for f in items], "data")


@router.route("GET", "sdk/freshness/{asset_id}")
def get_status(app: App, req: Request, params: dict[str, str]) -> Response:
    table = table_asset(app, params["asset_id"])
    fields = evaluate.freshness(app, table)
    fields["history"] = list(app.state.history.get(table["id"], []))[:20]
    return ok(dialect.freshness_status(fields, app.dialect))


@router.route("POST", "sdk/freshness/{asset_id}/refresh")
def refresh(app: App, req: Request, params: dict[str, str]) -> Response:
    table = table_asset(app, params["asset_id"])
    wait = bool(req.qbool("wait"))
    fields = evaluate.freshness(app, table, force=True)
    evaluate.record_history(app, table["id"], fields)
    now = iso(app.state.now())
    result = dialect.freshness_status(fields, app.dialect)
    job = {
        "job_id": "job_" + app.state.new_uuid("job").replace("-", "")[:16],
        "status": "completed" if wait else "pending",
        "workflow_name": "freshness_refresh",
        "asset_id": params["asset_id"],
        "asset_uuid": table["id"],
        "progress": 100 if wait else 0,
        "error": None,
        "result": result,
        "created_at": now,
        "ready_at": now,
        "completed_at": now if wait else None,
        "message": "Freshness check completed" if wait else "Freshness check queued",
    }
    with app.state.mutate() as st:
        st.jobs[job["job_id"]] = job
    return ok(dict(job))


def _schedule_out(s: dict[str, Any]) -> dict[str, Any]:
    return dict(s)


def _make_schedule(app: App, asset_id: str, body: dict[str, Any]) -> dict[str, Any]:
    check_types(body)
    require(body, "table_path")
    interval = body.get("check_interval") or "1h"
    if interval not in INTERVALS:
        raise validation(f"check_interval must be one of {', '.join(INTERVALS)}")
    mode = body.get("monitoring_mode") or "auto_learn"
    if mode not in ("auto_learn", "explicit"):
        raise validation("monitoring_mode must be auto_learn or explicit")
    if mode == "explicit" and body.get("expected_interval_hours") is None:
        raise validation("expected_interval_hours is required for explicit monitoring_mode")
    ds_id, table = quality_scope(app, asset_id)
    target = table if table is not None else app.state.match_table(ds_id, body["table_path"])
    now = iso(app.state.now())
    sched = {
        "id": app.state.new_uuid("schedule"),
        "asset_id": ds_id,
        "table_path": body["table_path"],
        "check_interval": interval,
        "freshness_column": body.get("freshness_column"),
        "expected_interval_hours": body.get("expected_interval_hours"),
        "expected_update_time": body.get("expected_update_time"),
        "monitoring_mode": mode,
        "is_active": bool(body.get("is_active", True)),
        "last_check": None,
        "next_check": None,
        "created_at": now,
        "updated_at": now,
        "table_asset_id": target["id"] if target else None,
    }
    with app.state.mutate() as st:
        st.schedules[sched["id"]] = sched
        _apply_schedule(app, sched)
    return sched


def _apply_schedule(app: App, sched: dict[str, Any]) -> None:
    """A schedule's column and expected interval drive the matching table's freshness."""
    table = app.state.tables.get(sched.get("table_asset_id") or "")
    if table is None or not sched.get("is_active"):
        return
    if sched.get("freshness_column"):
        table["freshness_column"] = sched["freshness_column"]
    if sched.get("expected_interval_hours") is not None:
        table["threshold_hours"] = float(sched["expected_interval_hours"])
    app.fresh_cache.pop(table["id"], None)


@router.route("GET", "sdk/freshness/schedules")
def list_schedules(app: App, req: Request, _: dict[str, str]) -> Response:
    items = sorted(app.state.schedules.values(), key=lambda s: s["created_at"] + s["id"])
    if req.query.get("asset_id"):
        ds_id, table = quality_scope(app, req.query["asset_id"])
        items = [s for s in items if s["asset_id"] == ds_id]
        if table is not None:
            items = [s for s in items if path_matches(table, s["table_path"])]
    if req.qbool("active_only"):
        items = [s for s in items if s["is_active"]]
    return paged(app, req, [_schedule_out(s) for s in items], "data")


@router.route("POST", "sdk/freshness/schedules")
def create_schedule(app: App, req: Request, _: dict[str, str]) -> Response:
    body = req.json()
    require(body, "asset_id")
    return ok(_schedule_out(_make_schedule(app, str(body["asset_id"]), body)), 201)


@router.route("POST", "sdk/freshness/schedules/bulk")
def bulk_schedules(app: App, req: Request, _: dict[str, str]) -> Response:
    body = req.json()
    require(body, "asset_id")
    entries = body.get("schedules")
    if not isinstance(entries, list):
        raise validation("schedules must be a list", field="schedules")
    quality_scope(app, str(body["asset_id"]))  # 404 before any change
    results: list[dict[str, Any]] = []
    for entry in entries:
        try:
            s = _make_schedule(app, str(body["asset_id"]), dict(entry))
            results.append({"table_path": s["table_path"], "success": True, "schedule": s})
        except Exception as exc:
            path = entry.get("table_path") if isinstance(entry, dict) else None
            results.append({"table_path": path, "success": False, "error": str(exc)})
    created = sum(1 for r in results if r["success"])
    data = {"results": results, "created": created, "failed": len(results) - created}
    return ok({**data, "total": len(results)}, 201)


@router.route("PATCH", "sdk/freshness/schedules/{schedule_id}")
def patch_schedule(app: App, req: Request, params: dict[str, str]) -> Response:
    body = req.json()
    check_types(body)
    with app.state.mutate() as st:
        sched = st.schedules.get(params["schedule_id"])
        if sched is None:
            raise not_found("Schedule", params["schedule_id"])
        for name in (
            "check_interval",
            "expected_interval_hours",
            "freshness_column",
            "monitoring_mode",
            "is_active",
            "expected_update_time",
        ):
            if name in body:
                sched[name] = body[name]
        if sched["check_interval"] not in INTERVALS:
            raise validation(f"check_interval must be one of {', '.join(INTERVALS)}")
        sched["updated_at"] = iso(app.state.now())
        _apply_schedule(app, sched)
        return ok(_schedule_out(sched))


@router.route("DELETE", "sdk/freshness/schedules/{schedule_id}")
def delete_schedule(app: App, req: Request, params: dict[str, str]) -> Response:
    with app.state.mutate() as st:
        if st.schedules.pop(params["schedule_id"], None) is None:
            raise not_found("Schedule", params["schedule_id"])
    return ok({"id": params["schedule_id"], "deleted": True})


@router.route("POST", "sdk/freshness/dry-run")
def dry_run(app: App, req: Request, _: dict[str, str]) -> Response:
    body = req.json()
    require(body, "asset_id", "table_path", "expected_interval_hours")
    ds_id, table = quality_scope(app, str(body["asset_id"]))
    target = table or app.state.match_table(ds_id, str(body["table_path"]))
    threshold = float(body["expected_interval_hours"])
    age = evaluate.freshness(app, target)["hours_since_update"] if target else None
    now_alert = age is not None and age > threshold
    return ok(
        {
            "table_path": body["table_path"] or (default_table_path(target) if target else None),
            "threshold_hours": threshold,
            "lookback_days": int(body.get("lookback_days", 7)),
            "total_checks": 1 if age is not None else 0,
            "would_alert_count": int(now_alert),
            "alert_rate_percent": 100.0 if now_alert else 0.0,
            "current_age_hours": age,
            "would_alert_now": now_alert,
            "sample_alerts": [],
            "recommendation": "threshold below the current age" if now_alert else "ok",
        }
    )
