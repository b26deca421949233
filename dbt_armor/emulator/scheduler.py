"""Scheduled checks: re-run every active validity rule and referential check against the
warehouse, once on demand or every N seconds on a background thread, as the platform does.

Picks what to run and counts outcomes; evaluation and result storage stay in evaluate.py.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from dbt_armor.emulator import evaluate
from dbt_armor.emulator.routes.base import asset_not_found
from dbt_armor.emulator.routes.common import path_matches
from dbt_armor.emulator.state import Record

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

log = logging.getLogger("dbt_armor.emulator")

SAMPLE_LIMIT = 10
STATUSES = ("pass", "fail", "error")


def resolve_scope(
    app: App, data_source: str | None, table: str | None
) -> tuple[str | None, Record | None]:
    """(data-source id or None = all, table record or None = every table of the scope).

    ``table`` is a table id, a 4-part name, or (with ``data_source``) a shorter path such as
    ``schema.table``. Raises a 404 ApiFailure when either names nothing.
    """
    ds_id: str | None = None
    if data_source:
        found = app.state.resolve(data_source)
        if found is None or found[0] != "data_source":
            raise asset_not_found(data_source)
        ds_id = found[1]["id"]
    if not table:
        return ds_id, None
    hit = app.state.resolve(table)
    rec: Record | None = None
    if hit is not None and hit[0] == "table":
        rec = hit[1]
    elif ds_id is not None:
        rec = app.state.match_table(ds_id, table)
    if rec is None or (ds_id is not None and rec["data_source_id"] != ds_id):
        raise asset_not_found(table)
    return rec["data_source_id"], rec


def due(app: App, ds_id: str | None, table: Record | None) -> tuple[list[Record], list[Record]]:
    """Active validity rules and referential checks in scope, in creation order."""

    def wanted(rec: Record, path_key: str) -> bool:
        if not rec.get("is_active", True):
            return False
        if ds_id is not None and rec["asset_id"] != ds_id:
            return False
        return table is None or path_matches(table, rec[path_key])

    with app.state.lock:
        rules = [r for r in app.state.validity.values() if wanted(r, "table_path")]
        checks = [c for c in app.state.referential.values() if wanted(c, "child_table_path")]
    rules.sort(key=lambda r: r["id"])
    checks.sort(key=lambda c: c["internal_id"])
    return rules, checks


def run_checks(
    app: App, data_source: str | None = None, table: str | None = None
) -> dict[str, dict[str, int]]:
    """Run every active rule and check in scope once; counts of results by status."""
    ds_id, rec = resolve_scope(app, data_source, table)
    rules, checks = due(app, ds_id, rec)
    counts: dict[str, dict[str, int]] = {
        "validity": dict.fromkeys(STATUSES, 0),
        "referential": dict.fromkeys(STATUSES, 0),
    }
    for rule in rules:
        result = evaluate.run_validity(app, rule, SAMPLE_LIMIT)
        _count(counts["validity"], result)
    for check in checks:
        result = evaluate.run_referential(app, check, SAMPLE_LIMIT)
        _count(counts["referential"], result)
    return counts


def _count(bucket: dict[str, int], result: Record) -> None:
    status = str(result.get("status"))
    bucket[status if status in bucket else "error"] += 1


class CheckScheduler:
    """Runs ``run_checks(app)`` every ``interval`` seconds until stopped."""

    def __init__(self, app: App, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"check interval must be positive, got {interval}")
        self.app = app
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="armor-emulator-checks", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for a run in progress to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                counts: dict[str, Any] = run_checks(self.app)
            except Exception as exc:  # a bug must not kill the schedule or reach the console
                log.error("scheduled checks failed: %s: %s", type(exc).__name__, exc)
                log.debug("scheduled checks failed", exc_info=True)
                continue
            self.runs += 1
            log.debug("scheduled checks run %d: %s", self.runs, counts)
