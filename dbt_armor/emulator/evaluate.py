"""Computes freshness for a table and runs validity rules / referential checks, from
overrides, forced outcomes or the warehouse (DuckDB or PostgreSQL).

Owns result records; never shapes HTTP responses.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dbt_armor.emulator.state import Record, iso
from dbt_armor.emulator.warehouse import WarehouseError, to_utc

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

RESULTS_KEPT = 1000


def freshness(app: App, table: Record, *, force: bool = False) -> dict[str, Any]:
    """Canonical freshness fields for ``table`` (see dialect.freshness_status)."""
    now = app.state.now()
    ov = app.state.overrides.get(table["id"], {})
    threshold = ov.get("threshold_hours") or table.get("threshold_hours")
    threshold = float(threshold or app.config.default_threshold_hours)
    last: datetime | None = None
    hours: float | None = None
    error = None
    if ov.get("hours_since_update") is not None:
        hours = float(ov["hours_since_update"])
        last = to_utc(ov.get("last_updated")) or now - timedelta(hours=hours)
    elif ov.get("last_updated"):
        last = to_utc(ov["last_updated"])
    elif app.warehouse is not None and table.get("freshness_column"):
        last, error = _probe_newest(app, table, force)
    if last is not None and hours is None:
        hours = round(max((now - last).total_seconds(), 0.0) / 3600.0, 4)
    if ov.get("status"):
        status = ov["status"]
    elif hours is None:
        status = "unknown"
    else:
        status = "stale" if hours > threshold else "fresh"
    out = {
        "asset_id": table["id"],
        "qualified_name": table["qualified_name"],
        "status": status,
        "last_updated": iso(last),
        "threshold_hours": threshold,
        "hours_since_update": hours,
        "checked_at": iso(now),
        "source": table["source"],
        "freshness_column": table.get("freshness_column"),
    }
    if error:
        out["error_message"] = error
    return out


def _probe_newest(app: App, table: Record, force: bool) -> tuple[datetime | None, str | None]:
    assert app.warehouse is not None
    cached = app.fresh_cache.get(table["id"])
    ttl = app.config.freshness_cache_seconds
    if cached and not force and time.monotonic() - cached[0] < ttl:
        return cached[1], cached[2]
    parts = [table["database"], table["schema"], table.get("identifier") or table["name"]]
    try:
        value, err = app.warehouse.newest(parts, table["freshness_column"]), None
    except WarehouseError as exc:
        value, err = None, str(exc)
    app.fresh_cache[table["id"]] = (time.monotonic(), value, err)
    return value, err


def record_history(app: App, table_id: str, fields: dict[str, Any]) -> None:
    with app.state.mutate() as st:
        hist = st.history.setdefault(table_id, [])
        hist.insert(0, {"checked_at": fields["checked_at"], "status": fields["status"]})
        del hist[50:]


def table_parts(app: App, asset: Record, table_path: str) -> list[str]:
    """Warehouse relation for a rule's table_path: a registered table if one matches."""
    ds_id = str(asset.get("data_source_id") or asset["id"])
    table = app.state.match_table(ds_id, table_path)
    if table is not None:
        return [table["database"], table["schema"], table.get("identifier") or table["name"]]
    return [p for p in table_path.split(".") if p][-3:]


def run_validity(app: App, rule: Record, sample_limit: int) -> Record:
    started = time.monotonic()
    forced = app.state.outcomes.get(rule["uuid"])
    res: dict[str, Any] = {"total_rows": 0, "invalid_count": 0, "samples": []}
    status, error = "pass", None
    if forced:
        res.update({k: forced[k] for k in ("total_rows", "invalid_count") if k in forced})
        status, error = forced.get("status", "pass"), forced.get("error_message")
    elif app.warehouse is not None:
        asset = app.state.resolve(rule["asset_id"])
        parts = table_parts(app, asset[1] if asset else {"id": ""}, rule["table_path"])
        try:
            res = app.warehouse.validity(parts, rule, sample_limit)
        except (WarehouseError, ValueError) as exc:
            status, error = "error", str(exc)
    total, invalid = int(res["total_rows"]), int(res["invalid_count"])
    pct = round(100.0 * invalid / total, 4) if total else 0.0
    if not forced and status != "error":
        limit = rule.get("alert_threshold_percent")
        status = "fail" if invalid and (limit is None or pct > float(limit)) else "pass"
    result = {
        "id": app.state.next_int("validity_result"),
        "validity_rule_id": rule["id"],
        "rule_uuid": rule["uuid"],
        "status": status,
        "total_rows": total,
        "invalid_count": invalid,
        "invalid_percent": pct,
        "invalid_samples": {"column": rule.get("column_name"), "values": res["samples"]},
        "execution_duration_ms": int((time.monotonic() - started) * 1000),
        "error_message": error,
        "checked_at": iso(app.state.now()),
        "created_at": iso(app.state.now()),
    }
    with app.state.mutate() as st:
        if rule["uuid"] in st.validity:  # deleted (or reset) while the check ran: keep nothing
            _keep(st.validity_results.setdefault(rule["uuid"], []), result)
    return result


def run_referential(app: App, check: Record, sample_limit: int = 10) -> Record:
    started = time.monotonic()
    forced = app.state.outcomes.get(check["id"])
    res: dict[str, Any] = {"total_child_rows": 0, "orphan_count": 0, "orphan_sample": []}
    status, error = "pass", None
    if forced:
        res["total_child_rows"] = forced.get("total_rows", 0)
        res["orphan_count"] = forced.get("invalid_count", forced.get("orphan_count", 0))
        status, error = forced.get("status", "pass"), forced.get("error_message")
    elif app.warehouse is not None:
        asset = app.state.resolve(check["asset_id"])
        a = asset[1] if asset else {"id": ""}
        try:
            res = app.warehouse.orphans(
                table_parts(app, a, check["child_table_path"]),
                check["child_column_name"],
                table_parts(app, a, check["parent_table_path"]),
                check["parent_column_name"],
                sample_limit,
                check.get("where"),
            )
        except WarehouseError as exc:
            status, error = "error", str(exc)
    total, orphans = int(res["total_child_rows"]), int(res["orphan_count"])
    pct = round(100.0 * orphans / total, 4) if total else 0.0
    if not forced and status != "error":
        status = "fail" if _orphans_fail(check, orphans, pct) else "pass"
    result = {
        "id": app.state.next_int("referential_result"),
        "referential_check_id": check["internal_id"],
        "check_id": check["id"],
        "status": status,
        "orphan_count": orphans,
        "orphan_percent": pct,
        "total_child_rows": total,
        "orphan_sample": res["orphan_sample"],
        "query_duration_ms": int((time.monotonic() - started) * 1000),
        "checked_at": iso(app.state.now()),
        "error_message": error,
        "created_at": iso(app.state.now()),
    }
    with app.state.mutate() as st:
        if check["id"] in st.referential:  # deleted (or reset) while the check ran: keep nothing
            _keep(st.referential_results.setdefault(check["id"], []), result)
            st.referential[check["id"]]["last_checked_at"] = result["checked_at"]
    return result


def _keep(results: list[Record], result: Record) -> None:
    """Newest first, at most RESULTS_KEPT per rule or check (scheduled runs add up)."""
    results.insert(0, result)
    del results[RESULTS_KEPT:]


def _orphans_fail(check: Record, orphans: int, pct: float) -> bool:
    max_count, max_pct = check.get("max_orphan_count"), check.get("max_orphan_percent")
    if max_count is None and max_pct is None:
        return orphans > 0
    if max_count is not None and orphans > int(max_count):
        return True
    return max_pct is not None and pct > float(max_pct)
