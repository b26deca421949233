"""Control endpoints under /_emulator/ (no auth, loopback only): reset, register assets or a
manifest, set freshness, forced check outcomes, a scheduled-checks run, request log and faults.

Test and demo plumbing; never reachable under /api/v1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dbt_armor.emulator import scheduler, seeding
from dbt_armor.emulator.faults import parse_fault
from dbt_armor.emulator.routes.base import Request, Response, Router, asset_not_found, validation
from dbt_armor.emulator.routes.common import ok
from dbt_armor.emulator.state import Record

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

router = Router()
FRESHNESS_KEYS = ("status", "last_updated", "threshold_hours", "hours_since_update")


@router.route("POST", "reset")
def reset(app: App, req: Request, _: dict[str, str]) -> Response:
    app.reset()
    return ok({"reset": True})


def _registered(register: Callable[[], list[Record]]) -> Response:
    """Run a seeding call; a bad document is a 400, else the registered tables' ids."""
    try:
        tables = register()
    except ValueError as exc:
        raise validation(str(exc)) from None
    return ok({"registered": len(tables), "ids": {t["qualified_name"]: t["id"] for t in tables}})


@router.route("POST", "assets")
def register(app: App, req: Request, _: dict[str, str]) -> Response:
    return _registered(lambda: seeding.register_tables(app.state, req.json()))


@router.route("POST", "manifest")
def manifest(app: App, req: Request, _: dict[str, str]) -> Response:
    body = req.json()
    name = req.query.get("data_source") or body.pop("data_source", None)
    doc = body.get("manifest", body)
    if not name:
        raise validation("give the data source name as ?data_source=NAME")
    return _registered(lambda: seeding.register_manifest(app.state, doc, str(name)))


@router.route("POST", "freshness")
def set_freshness(app: App, req: Request, _: dict[str, str]) -> Response:
    """Override (or with ``clear: true`` drop the override of) a table's freshness."""
    body = req.json()
    ident = str(body.get("qualified_name") or body.get("asset_id") or "")
    found = app.state.resolve(ident)
    if found is None or found[0] != "table":
        raise asset_not_found(ident)
    table = found[1]
    status = body.get("status")
    if status is not None and status not in ("fresh", "stale", "unknown", "disabled"):
        raise validation("status must be fresh, stale, unknown or disabled")
    with app.state.mutate() as st:
        if body.get("clear"):
            st.overrides.pop(table["id"], None)
        else:
            ov = {k: body[k] for k in FRESHNESS_KEYS if body.get(k) is not None}
            st.overrides[table["id"]] = ov
    app.fresh_cache.pop(table["id"], None)
    return ok({"asset_id": table["id"], "override": app.state.overrides.get(table["id"])})


@router.route("POST", "outcome")
def set_outcome(app: App, req: Request, _: dict[str, str]) -> Response:
    """Force the next results of a validity rule (uuid) or referential check (id)."""
    body = req.json()
    ident = str(body.get("id") or "")
    if ident not in app.state.validity and ident not in app.state.referential:
        raise validation("id must be a validity rule uuid or a referential check id")
    if body.get("clear"):
        with app.state.mutate() as st:
            st.outcomes.pop(ident, None)
        return ok({"id": ident, "outcome": None})
    if body.get("status") not in ("pass", "fail", "error"):
        raise validation("status must be pass, fail or error")
    keep = ("status", "total_rows", "invalid_count", "error_message")
    outcome: dict[str, Any] = {k: body[k] for k in keep if k in body}
    with app.state.mutate() as st:
        st.outcomes[ident] = outcome
    return ok({"id": ident, "outcome": outcome})


@router.route("POST", "run-checks")
def run_checks(app: App, req: Request, _: dict[str, str]) -> Response:
    """Run every active validity rule and referential check once (optionally scoped)."""
    body = req.json()
    scope = {k: body.get(k) for k in ("data_source", "table")}
    for name, value in scope.items():
        if value is not None and not isinstance(value, str):
            raise validation(f"{name} must be a string", field=name)
    return ok(scheduler.run_checks(app, scope["data_source"], scope["table"]))


@router.route("GET", "requests")
def requests_log(app: App, req: Request, _: dict[str, str]) -> Response:
    return ok(app.request_log())


@router.route("DELETE", "requests")
def clear_requests(app: App, req: Request, _: dict[str, str]) -> Response:
    app.clear_request_log()
    return ok({"cleared": True})


@router.route("POST", "faults")
def add_fault(app: App, req: Request, _: dict[str, str]) -> Response:
    body = req.json()
    listed = body.get("faults")
    specs = listed if isinstance(listed, list) else [body]
    try:
        for spec in specs:
            app.faults.add(parse_fault(spec))
    except (ValueError, TypeError) as exc:
        raise validation(f"bad fault: {exc}") from None
    return ok({"faults": app.faults.list()})


@router.route("GET", "faults")
def list_faults(app: App, req: Request, _: dict[str, str]) -> Response:
    return ok({"faults": app.faults.list()})


@router.route("DELETE", "faults")
def clear_faults(app: App, req: Request, _: dict[str, str]) -> Response:
    app.faults.clear()
    return ok({"faults": []})
