"""Helpers shared by the route families: asset scoping, paging and id lookup.

No route is registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dbt_armor.emulator import dialect
from dbt_armor.emulator.routes.base import Request, Response, asset_not_found, validation
from dbt_armor.emulator.state import Record

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def table_asset(app: App, asset_id: str) -> Record:
    """A table asset by UUID or 4-part qualified name, else 404 ASSET_NOT_FOUND."""
    found = app.state.resolve(asset_id)
    if found is None or found[0] != "table":
        raise asset_not_found(asset_id)
    return found[1]


def quality_scope(app: App, asset_id: str) -> tuple[str, Record | None]:
    """For validity/referential ids: (data-source id, table filter or None).

    A data-source id or name covers every rule of the source; a table id or 4-part name
    narrows to that table's rules.
    """
    found = app.state.resolve(asset_id)
    if found is None:
        raise asset_not_found(asset_id)
    kind, rec = found
    if kind == "data_source":
        return rec["id"], None
    return rec["data_source_id"], rec


def path_matches(table: Record, table_path: str) -> bool:
    """Does ``table_path`` name ``table`` (case-insensitive, last 1–4 segments)?"""
    wanted = [p.lower() for p in table_path.split(".") if p]
    parts = [table["source"], table["database"], table["schema"], table["name"]]
    return 0 < len(wanted) <= 4 and [p.lower() for p in parts[-len(wanted) :]] == wanted


def default_table_path(table: Record) -> str:
    return f"{table['database']}.{table['schema']}.{table['name']}"


def paged(
    app: App,
    req: Request,
    items: list[dict[str, Any]],
    list_key: str,
    default: int = DEFAULT_LIMIT,
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Response:
    """One page of ``items``; ``render`` (if given) runs only on the items of that page."""
    limit = req.qint("limit", default, MAX_LIMIT if default <= MAX_LIMIT else default)
    offset = req.qint("offset", 0)
    window = items[offset : offset + limit]
    if render is not None:
        window = [render(item) for item in window]
    return Response(200, dialect.page(window, len(items), limit, offset, app.dialect, list_key))


def lookup(coll: dict[str, Record], ident: str, int_field: str) -> Record | None:
    """Find a record by its UUID key or by its integer id."""
    if ident in coll:
        return coll[ident]
    if ident.isdigit():
        for rec in coll.values():
            if rec.get(int_field) == int(ident):
                return rec
    return None


def require(body: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise validation(f"missing required field(s): {', '.join(missing)}", fields=missing)


_NUMBER = (int, float)
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "is_active": (bool,),
    "treat_null_as_valid": (bool,),
    "alert_threshold_percent": _NUMBER,
    "max_orphan_percent": _NUMBER,
    "expected_interval_hours": _NUMBER,
    "rule_config": (dict,),
    "name": (str,),
    "description": (str,),
    "column_name": (str,),
    "table_path": (str,),
    "severity": (str,),
    "where": (str,),
    "freshness_column": (str,),
}


def check_types(body: dict[str, Any]) -> None:
    """400 when a known field is present (not null) with the wrong JSON type."""
    for name, types in FIELD_TYPES.items():
        value = body.get(name)
        if value is None:
            continue
        wrong = isinstance(value, bool) and bool not in types
        if wrong or not isinstance(value, types):
            kind = "/".join("boolean" if t is bool else t.__name__ for t in types)
            raise validation(f"{name} must be a {kind}", field=name)


def ok(data: Any, status: int = 200) -> Response:
    return Response(status, {"data": data})
