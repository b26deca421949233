"""Response shapes for the two dialects: ``seed`` (the documented shapes) and ``sdk``
(what the official SDK 0.6 parses). Objects are supersets of both spellings where harmless.

Pure functions over plain dicts; no state access.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def page(
    items: list[Obj], total: int, limit: int, offset: int, dialect: str, list_key: str = "data"
) -> Obj:
    """A list envelope.

    seed: ``{"data": [...], "pagination": {...}}``; sdk: ``{"data": {list_key: [...], ...}}``.
    """
    pagination = {
        "total": total,
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(items) < total,
    }
    if dialect == "sdk":
        return {"data": {list_key: items, **pagination, "pagination": pagination}}
    return {"data": items, "pagination": pagination}


def int_if_integral(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def freshness_status(fields: Obj, dialect: str) -> Obj:
    """Superset freshness object from canonical fields.

    ``fields``: asset_id, qualified_name, status, last_updated (iso|None), threshold_hours,
    hours_since_update, checked_at (iso), and optionally history.
    """
    threshold = fields.get("threshold_hours")
    status = fields["status"]
    out: Obj = {
        "asset_id": fields["asset_id"],
        "qualified_name": fields["qualified_name"],
        "status": status,
        "is_fresh": status == "fresh",
        "is_stale": status == "stale",
        "last_updated": fields.get("last_updated"),
        "last_update_time": fields.get("last_updated"),
        "threshold_hours": int_if_integral(threshold),
        "hours_since_update": fields.get("hours_since_update"),
        "checked_at": fields["checked_at"],
        "source": fields.get("source"),
        "freshness_column": fields.get("freshness_column"),
    }
    thr = int_if_integral(threshold)
    # The SDK's model only accepts an integer threshold; round a fractional one up there.
    if dialect == "sdk" and isinstance(thr, float):
        thr = int(thr) + 1
    out["staleness_threshold_hours"] = thr
    if "history" in fields:
        out["history"] = fields["history"]
    return out


def freshness_summary(counts: Obj, by_source: Obj) -> Obj:
    total = int(counts.get("total", 0))
    fresh = int(counts.get("fresh", 0))
    pct = round(100.0 * fresh / total, 1) if total else 0.0
    return {
        "total_assets": total,
        "fresh": fresh,
        "stale": int(counts.get("stale", 0)),
        "unknown": int(counts.get("unknown", 0)),
        "disabled": int(counts.get("disabled", 0)),
        "fresh_percentage": pct,
        "fresh_count": fresh,
        "stale_count": int(counts.get("stale", 0)),
        "unknown_count": int(counts.get("unknown", 0)),
        "disabled_count": int(counts.get("disabled", 0)),
        "freshness_rate": pct,
        "by_source": by_source,
    }


def asset(table: Obj) -> Obj:
    """A table asset with both the documented and the SDK field names."""
    return {
        "id": table["id"],
        "qualified_name": table["qualified_name"],
        "name": table["name"],
        "asset_type": table.get("asset_type", "table"),
        "source": table.get("source"),
        "source_type": table.get("source_type", "duckdb"),
        "database": table.get("database"),
        "database_name": table.get("database"),
        "schema": table.get("schema"),
        "description": table.get("description"),
        "is_active": True,
        "row_count": table.get("row_count"),
        "column_count": len(table.get("columns") or []) or None,
        "created_at": table.get("created_at"),
        "updated_at": table.get("updated_at"),
        "freshness_column": table.get("freshness_column"),
        "dbt_unique_id": table.get("unique_id"),
    }


def data_source(ds: Obj, table_count: int) -> Obj:
    return {
        "id": ds["id"],
        "qualified_name": ds["name"],
        "name": ds["name"],
        "asset_type": "data_source",
        "source": ds["name"],
        "source_type": ds.get("source_type", "duckdb"),
        "is_active": True,
        "table_count": table_count,
        "created_at": ds.get("created_at"),
        "updated_at": ds.get("updated_at"),
    }
