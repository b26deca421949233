"""Validity routes (8 endpoints). Rule types and config keys accept every alias; the
caller's spelling is echoed back. Rules belong to a data source and name a table_path.

Checks run in evaluate.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbt_armor.emulator import evaluate
from dbt_armor.emulator.routes.base import Request, Response, Router, validation
from dbt_armor.emulator.routes.common import (
    check_types,
    default_table_path,
    ok,
    paged,
    quality_scope,
    require,
)
from dbt_armor.emulator.routes.family import Family
from dbt_armor.emulator.rules import RuleError, canonical_type, normalise_config
from dbt_armor.emulator.state import Record, iso

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

router = Router()
SEVERITIES = ("info", "warning", "error", "critical")
CHECK_INTERVALS = ("hourly", "daily", "weekly")
PATCHABLE = (
    "is_active",
    "severity",
    "name",
    "description",
    "alert_threshold_percent",
    "treat_null_as_valid",
    "check_interval",
    "error_message",
    "column_name",
    "rule_config",
)


def rule_out(app: App, rule: Record) -> dict[str, Any]:
    hidden = ("rule_type_canonical", "config", "where")
    out = {k: v for k, v in rule.items() if k not in hidden}
    out["latest_status"] = RULES.latest_status(app, rule)
    return out


def _rule(app: App, params: dict[str, str]) -> Record:
    return RULES.find(app, params["asset_id"], params["rule_id"])


def _validate(rule: Record) -> None:
    try:
        rule["rule_type_canonical"] = canonical_type(rule["rule_type"])
        rule["config"] = normalise_config(rule["rule_type_canonical"], rule.get("rule_config"))
    except RuleError as exc:
        raise validation(str(exc), field="rule_config") from None
    if rule["rule_type_canonical"] != "CUSTOM_SQL" and not rule.get("column_name"):
        raise validation(f"column_name is required for {rule['rule_type']}", field="column_name")
    if rule.get("severity") not in SEVERITIES:
        raise validation(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
    if rule.get("check_interval") not in CHECK_INTERVALS:
        raise validation(f"check_interval must be one of {', '.join(CHECK_INTERVALS)}")
    where = rule.get("where") or rule["config"].get("where")
    rule["where"] = where


RULES = Family(
    collection="validity",
    results="validity_results",
    label="Validity rule",
    uuid_key="uuid",
    int_key="id",
    table_key="table_path",
    patchable=PATCHABLE,
    validate=_validate,
)


@router.route("GET", "sdk/validity/{asset_id}/summary")
def summary(app: App, req: Request, params: dict[str, str]) -> Response:
    statuses = [RULES.latest_status(app, r) for r in RULES.records(app, params["asset_id"])]
    return ok(
        {
            "total_rules": len(statuses),
            "passing": statuses.count("pass"),
            "failing": statuses.count("fail"),
            "error": statuses.count("error"),
            "not_run": statuses.count(None),
        }
    )


@router.route("GET", "sdk/validity/{asset_id}")
def list_rules(app: App, req: Request, params: dict[str, str]) -> Response:
    rules = RULES.records(app, params["asset_id"])
    if req.query.get("rule_type"):
        try:
            wanted = canonical_type(req.query["rule_type"])
        except RuleError as exc:
            raise validation(str(exc), field="rule_type") from None
        rules = [r for r in rules if r["rule_type_canonical"] == wanted]
    active = req.qbool("is_active")
    if active is not None:
        rules = [r for r in rules if r["is_active"] == active]
    return paged(app, req, [rule_out(app, r) for r in rules], "items")


@router.route("GET", "sdk/validity/{asset_id}/{rule_id}")
def get_rule(app: App, req: Request, params: dict[str, str]) -> Response:
    rule = _rule(app, params)
    out = rule_out(app, rule)
    out["recent_results"] = RULES.history(app, rule)[:5]
    return ok(out)


@router.route("POST", "sdk/validity/{asset_id}")
def create_rule(app: App, req: Request, params: dict[str, str]) -> Response:
    body = req.json()
    check_types(body)
    ds_id, table = quality_scope(app, params["asset_id"])
    if table is not None and not body.get("table_path"):
        body["table_path"] = default_table_path(table)
    require(body, "rule_type", "table_path")
    now = iso(app.state.now())
    rule: Record = {
        "id": 0,
        "uuid": "",
        "asset_id": ds_id,
        "table_path": str(body["table_path"]),
        "column_name": body.get("column_name"),
        "rule_type": str(body["rule_type"]),
        "rule_config": body.get("rule_config") or {},
        "name": body.get("name"),
        "description": body.get("description"),
        "severity": body.get("severity") or "warning",
        "is_active": bool(body.get("is_active", True)),
        "alert_threshold_percent": body.get("alert_threshold_percent"),
        "treat_null_as_valid": bool(body.get("treat_null_as_valid", False)),
        "check_interval": body.get("check_interval") or "daily",
        "error_message": body.get("error_message"),
        "where": body.get("where"),
        "created_at": now,
        "updated_at": now,
    }
    _validate(rule)
    RULES.insert(app, rule)
    return ok(rule_out(app, rule), 201)


@router.route("PATCH", "sdk/validity/{asset_id}/{rule_id}")
def patch_rule(app: App, req: Request, params: dict[str, str]) -> Response:
    body = req.json()
    check_types(body)
    rule = RULES.patch(app, params["asset_id"], params["rule_id"], body)
    return ok(rule_out(app, rule))


@router.route("DELETE", "sdk/validity/{asset_id}/{rule_id}")
def delete_rule(app: App, req: Request, params: dict[str, str]) -> Response:
    rule = RULES.delete(app, params["asset_id"], params["rule_id"])
    return ok({"uuid": rule["uuid"], "id": rule["id"], "deleted": True})


@router.route("POST", "sdk/validity/{asset_id}/{rule_id}/check")
def check_rule(app: App, req: Request, params: dict[str, str]) -> Response:
    rule = _rule(app, params)
    body = req.json()
    limit = body.get("sample_limit", req.qint("sample_limit", 10))
    if not isinstance(limit, int) or not 0 <= limit <= 1000:
        raise validation("sample_limit must be an integer between 0 and 1000", field="sample_limit")
    return ok(evaluate.run_validity(app, rule, limit))


@router.route("GET", "sdk/validity/{asset_id}/{rule_id}/results")
def rule_results(app: App, req: Request, params: dict[str, str]) -> Response:
    rule = _rule(app, params)
    return paged(app, req, RULES.history(app, rule), "items", 100)
