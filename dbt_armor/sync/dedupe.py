"""After an apply: remove copies of what this run created that a concurrent apply also created.

Keeps the oldest copy of each (key, spec hash) (schedule: table path and definition), ordered by
creation time then id, so every run picks the same survivor. Deletes only marked copies, only
when two different ids carry the same identity, each re-read just before the delete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from dbt_armor.api import ArmorClient
from dbt_armor.errors import NotFoundError
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.specs import Action, Change, Kind

_CREATES = (Action.CREATE, Action.REPLACE)
# what tells two schedules on one table apart (they carry no marker)
SCHEDULE_FIELDS = ("check_interval", "expected_interval_hours", "freshness_column")
Copies = dict[Any, dict[str, tuple[bool, str, str]]]  # identity -> id -> sort order


def _order(created_at: datetime | None, ident: str) -> tuple[bool, str, str]:
    """Oldest first; copies without a creation time sort last; the id breaks ties."""
    return (created_at is None, created_at.isoformat() if created_at else "", ident)


def _marker_ident(change: Change) -> tuple[str, str] | None:
    marker = parse_marker(str((change.payload or {}).get("description") or ""))
    return (marker.key, marker.spec_hash) if marker is not None else None


def _rule_ident(client: ArmorClient, kind: Kind, ds: str, ident: str) -> tuple[str, str] | None:
    """(key, spec hash) of one rule or check as the platform holds it now; None when gone."""
    try:
        if kind is Kind.VALIDITY:
            description = client.validity.get(ds, ident).description
        else:
            description = client.referential.get(ds, ident).description
    except NotFoundError:
        return None
    marker = parse_marker(description)
    return (marker.key, marker.spec_hash) if marker is not None else None


def _delete(client: ArmorClient, kind: Kind, ds: str, ident: str) -> int:
    try:
        if kind is Kind.VALIDITY:
            client.validity.delete(ds, ident)
        elif kind is Kind.REFERENTIAL:
            client.referential.delete(ds, ident)
        else:
            client.freshness.delete_schedule(ident)
    except NotFoundError:
        return 0  # the other run removed it first: same survivor, same goal
    return 1


def _delete_extra(
    client: ArmorClient, kind: Kind, ds: str, groups: Copies, same: Callable[[Any, str], bool]
) -> int:
    """Delete every copy but the oldest, when it and the survivor both still are what the
    listing said (``same(identity, id)``)."""
    removed = 0
    for identity, copies in groups.items():
        if len(copies) < 2:  # one id, however often the listing returned it
            continue
        survivor, *extra = sorted(copies, key=lambda i: copies[i])
        if not same(identity, survivor):
            continue
        for ident in extra:
            if same(identity, ident):
                removed += _delete(client, kind, ds, ident)
    return removed


def _rules(client: ArmorClient, ds: str, wanted: set[tuple[str, str]]) -> int:
    validity: Copies = {}
    for rule in client.validity.iter(ds):
        marker = parse_marker(rule.description)
        if marker is not None and (marker.key, marker.spec_hash) in wanted:
            ident = rule.uuid or str(rule.id)
            validity.setdefault((marker.key, marker.spec_hash), {})[ident] = _order(
                rule.created_at, ident
            )
    referential: Copies = {}
    for check in client.referential.iter(ds):
        marker = parse_marker(check.description)
        if marker is not None and (marker.key, marker.spec_hash) in wanted:
            referential.setdefault((marker.key, marker.spec_hash), {})[check.id] = _order(
                check.created_at, check.id
            )

    def same(kind: Kind) -> Callable[[Any, str], bool]:
        return lambda identity, ident: _rule_ident(client, kind, ds, ident) == identity

    return _delete_extra(client, Kind.VALIDITY, ds, validity, same(Kind.VALIDITY)) + (
        _delete_extra(client, Kind.REFERENTIAL, ds, referential, same(Kind.REFERENTIAL))
    )


def _schedule_copies(client: ArmorClient, ds: str, wanted: set[Any]) -> Copies:
    groups: Copies = {}
    for sched in client.freshness.iter_schedules(asset_id=ds):
        ident = (sched.table_path.lower(), *(getattr(sched, f) for f in SCHEDULE_FIELDS))
        if ident in wanted:
            groups.setdefault(ident, {})[sched.id] = _order(sched.created_at, sched.id)
    return groups


def _schedules(client: ArmorClient, ds: str, changes: list[Change]) -> int:
    wanted = {
        (
            str(c.payload.get("table_path", "")).lower(),
            *(c.payload.get(f) for f in SCHEDULE_FIELDS),
        )
        for c in changes
        if c.payload
    }
    groups = _schedule_copies(client, ds, wanted)
    if not any(len(copies) > 1 for copies in groups.values()):
        return 0
    again = _schedule_copies(client, ds, wanted)  # no single-schedule GET: list once more

    def same(identity: Any, ident: str) -> bool:
        return ident in again.get(identity, {})

    return _delete_extra(client, Kind.FRESHNESS, ds, groups, same)


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
