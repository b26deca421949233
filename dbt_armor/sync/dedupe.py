"""After an apply: remove copies of what this run created that a concurrent apply also created.

Keeps the oldest copy of each (key, spec hash) (schedule: table path and definition), ordered by
creation time then id, so every run picks the same survivor. Deletes only marked copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dbt_armor.api import ArmorClient
from dbt_armor.errors import NotFoundError
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.specs import Action, Change, Kind

_CREATES = (Action.CREATE, Action.REPLACE)
# what tells two schedules on one table apart (they carry no marker)
SCHEDULE_FIELDS = ("check_interval", "expected_interval_hours", "freshness_column")


def _order(created_at: datetime | None, ident: str) -> tuple[bool, str, str]:
    """Oldest first; copies without a creation time sort last; the id breaks ties."""
    return (created_at is None, created_at.isoformat() if created_at else "", ident)


def _marker_ident(change: Change) -> tuple[str, str] | None:
    marker = parse_marker(str((change.payload or {}).get("description") or ""))
    return (marker.key, marker.spec_hash) if marker is not None else None


def _delete_extra(
    client: ArmorClient, kind: Kind, ds: str, groups: dict[Any, list[tuple[Any, str]]]
) -> int:
    removed = 0
    for copies in groups.values():
        for _, ident in sorted(copies)[1:]:
            try:
                if kind is Kind.VALIDITY:
                    client.validity.delete(ds, ident)
                elif kind is Kind.REFERENTIAL:
                    client.referential.delete(ds, ident)
                else:
                    client.freshness.delete_schedule(ident)
                removed += 1
            except NotFoundError:
                pass  # the other run removed it first: same survivor, same goal
    return removed


def _rules(client: ArmorClient, ds: str, wanted: set[tuple[str, str]]) -> int:
    validity: dict[Any, list[tuple[Any, str]]] = {}
    for rule in client.validity.iter(ds):
        marker = parse_marker(rule.description)
        if marker is not None and (marker.key, marker.spec_hash) in wanted:
            ident = rule.uuid or str(rule.id)
            validity.setdefault((marker.key, marker.spec_hash), []).append(
                (_order(rule.created_at, ident), ident)
            )
    referential: dict[Any, list[tuple[Any, str]]] = {}
    for check in client.referential.iter(ds):
        marker = parse_marker(check.description)
        if marker is not None and (marker.key, marker.spec_hash) in wanted:
            referential.setdefault((marker.key, marker.spec_hash), []).append(
                (_order(check.created_at, check.id), check.id)
            )
    return _delete_extra(client, Kind.VALIDITY, ds, validity) + _delete_extra(
        client, Kind.REFERENTIAL, ds, referential
    )


def _schedules(client: ArmorClient, ds: str, changes: list[Change]) -> int:
    wanted = {
        (
            str(c.payload.get("table_path", "")).lower(),
            *(c.payload.get(f) for f in SCHEDULE_FIELDS),
        )
        for c in changes
        if c.payload
    }
    groups: dict[Any, list[tuple[Any, str]]] = {}
    for sched in client.freshness.iter_schedules(asset_id=ds):
        ident = (sched.table_path.lower(), *(getattr(sched, f) for f in SCHEDULE_FIELDS))
        if ident in wanted:
            groups.setdefault(ident, []).append((_order(sched.created_at, sched.id), sched.id))
    return _delete_extra(client, Kind.FRESHNESS, ds, groups)


def remove_concurrent_copies(client: ArmorClient, created: Iterable[Change]) -> int:
    """Delete the newer duplicates of the objects in ``created``; returns how many went."""
    rules: dict[str, set[tuple[str, str]]] = {}
    schedules: dict[str, list[Change]] = {}
    for change in created:
        if change.action not in _CREATES:
            continue
        if change.kind is Kind.FRESHNESS:
            schedules.setdefault(change.data_source, []).append(change)
            continue
        ident = _marker_ident(change)
        if ident is not None:
            rules.setdefault(change.data_source, set()).add(ident)
    removed = sum(_rules(client, ds, wanted) for ds, wanted in sorted(rules.items()))
    return removed + sum(_schedules(client, ds, ch) for ds, ch in sorted(schedules.items()))
