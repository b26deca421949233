"""Referential-check routes (8 endpoints): orphan checks between a child and a parent column.

Accepts both the documented field names and the newer source/target spelling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbt_armor.emulator import evaluate
from dbt_armor.emulator.routes.base import Request, Response, Router, validation
from dbt_armor.emulator.routes.common import check_types, ok, paged, quality_scope, require
from dbt_armor.emulator.routes.family import Family
from dbt_armor.emulator.state import Record, iso

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

router = Router()
ALIASES = {
    "source_table": "child_table_path",
    "source_column": "child_column_name",
    "target_table": "parent_table_path",
    "target_column": "parent_column_name",
}
PATCHABLE = (
    "is_active",
    "name",
    "description",
    "capture_interval",
    "max_orphan_count",
    "max_orphan_percent",
    "min_child_count",
    "max_child_count",
    "severity",
    "where",
)
SEVERITIES = ("info", "warning", "error", "critical")


def check_out(app: App, check: Record) -> dict[str, Any]:
    out = dict(check)
    out["latest_status"] = CHECKS.latest_status(app, check)
    return out


def _check(app: App, params: dict[str, str]) -> Record:
    return CHECKS.find(app, params["asset_id"], params["check_id"])


def _validate(check: Record) -> None:
    if check.get("severity") is not None and check["severity"] not in SEVERITIES:
        raise validation(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
    if check.get("capture_interval") not in ("hourly", "daily", "weekly"):
        raise validation("capture_interval must be hourly, daily or weekly")
    for name in ("max_orphan_count", "min_child_count", "max_child_count"):
        value = check.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise validation(f"{name} must be a non-negative integer", field=name)


CHECKS = Family(
    collection="referential",
    results="referential_results",
    label="Referential check",
    uuid_key="id",
    int_key="internal_id",
    table_key="child_table_path",
    patchable=PATCHABLE,
    validate=_validate,
)


@router.route("GET", "sdk/referential/{asset_id}/summary")
def summary(app: App, req: Request, params: dict[str, str]) -> Response:
    checks = [check_out(app, c) for c in CHECKS.records(app, params["asset_id"])]
    last = max((c["last_checked_at"] for c in checks if c.get("last_checked_at")), default=None)
    return ok(
        {
            "total_checks": len(checks),
            "active_checks": sum(1 for c in checks if c["is_active"]),
            "passing_checks": sum(1 for c in checks if c["latest_status"] == "pass"),
            "failing_checks": sum(1 for c in checks if c["latest_status"] == "fail"),
            "error_checks": sum(1 for c in checks if c["latest_status"] == "error"),
            "last_check_at": last,
        }
    )


@router.route("GET", "sdk/referential/{asset_id}")
def list_checks(app: App, req: Request, params: dict[str, str]) -> Response:
    checks = CHECKS.records(app, params["asset_id"])
    active = req.qbool("is_active")
    if active is not None:
        checks = [c for c in checks if c["is_active"] == active]
    return paged(app, req, [check_out(app, c) for c in checks], "items")


@router.route("GET", "sdk/referential/{asset_id}/{check_id}")
def get_check(app: App, req: Request, params: dict[str, str]) -> Response:
    check = _check(app, params)
    out = check_out(app, check)
    results = CHECKS.history(app, check)
    out["latest_result"] = results[0] if results else None
    return ok(out)


@router.route("POST", "sdk/referential/{asset_id}")
def create_check(app: App, req: Request, params: dict[str, str]) -> Response:
    body = req.json()
    check_types(body)
    for alias, name in ALIASES.items():
        if body.get(alias) is not None and body.get(name) is None:
            body[name] = body[alias]
    require(
        body, "child_table_path", "child_column_name", "parent_table_path", "parent_column_name"
    )
    ds_id, _ = quality_scope(app, params["asset_id"])
    now = iso(app.state.now())
    check: Record = {
        "id": "",
        "internal_id": 0,
        "asset_id": ds_id,
        **{n: str(body[n]) for n in ALIASES.values()},
        "name": body.get("name"),
        "description": body.get("description"),
        "capture_interval": body.get("capture_interval") or "daily",
        "max_orphan_count": body.get("max_orphan_count"),
        "max_orphan_percent": body.get("max_orphan_percent"),
        "min_child_count": body.get("min_child_count"),
        "max_child_count": body.get("max_child_count"),
        "is_active": bool(body.get("is_active", True)),
        "where": body.get("where"),
        "last_checked_at": None,
        "created_at": now,
        "updated_at": now,
    }
    if body.get("severity") is not None:
        check["severity"] = body["severity"]
    _validate(check)
    CHECKS.insert(app, check)
    return ok(check_out(app, check), 201)


@router.route("PATCH", "sdk/referential/{asset_id}/{check_id}")
def patch_check(app: App, req: Request, params: dict[str, str]) -> Response:
    body = req.json()
    check_types(body)
    check = CHECKS.patch(app, params["asset_id"], params["check_id"], body)
    return ok(check_out(app, check))


@router.route("DELETE", "sdk/referential/{asset_id}/{check_id}")
def delete_check(app: App, req: Request, params: dict[str, str]) -> Response:
    check = CHECKS.delete(app, params["asset_id"], params["check_id"])
    return ok({"id": check["id"], "deleted": True})


@router.route("POST", "sdk/referential/{asset_id}/{check_id}/execute")
def execute(app: App, req: Request, params: dict[str, str]) -> Response:
    check = _check(app, params)
    if not check["is_active"]:
        raise validation("check is inactive: activate it before executing", id=check["id"])
    return ok(evaluate.run_referential(app, check, req.qint("sample_limit", 10, 1000)))


@router.route("GET", "sdk/referential/{asset_id}/{check_id}/results")
def check_results(app: App, req: Request, params: dict[str, str]) -> Response:
    check = _check(app, params)
    return paged(app, req, CHECKS.history(app, check), "items", 100)
