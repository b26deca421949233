"""Re-check every pending change against the live platform state just before apply writes.

A delete, update or replace must name an id that exists, carries our marker and whose key is the
change's; a create's key must not exist yet. Reads only (one listing); it never writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dbt_armor.api import ArmorClient
from dbt_armor.errors import PlanError
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.remote import item_from_schedule, list_rules
from dbt_armor.sync.specs import Action, Change, Kind, RemoteItem, unique_by_id

_TARGETED = (Action.UPDATE, Action.REPLACE, Action.DELETE)
_CREATES = (Action.CREATE, Action.REPLACE)
# what a PATCH from a plan may change (anything else is not ours to set)
PATCHABLE = {
    Kind.VALIDITY: frozenset(
        {"name", "description", "severity", "alert_threshold_percent", "treat_null_as_valid"}
    ),
    Kind.REFERENTIAL: frozenset({"name", "description", "max_orphan_count"}),
    Kind.FRESHNESS: frozenset(
        {"check_interval", "expected_interval_hours", "freshness_column", "monitoring_mode"}
    ),
}
SHOWN = 5


def live_items(client: ArmorClient, changes: Sequence[Change]) -> list[RemoteItem]:
    """Every rule and check (owned or not) on the changes' data sources, and their schedules."""
    items: list[RemoteItem] = []
    for ds in sorted({c.data_source for c in changes if c.kind is not Kind.FRESHNESS}):
        items.extend(list_rules(client, ds))
    for ds in sorted({c.data_source for c in changes if c.kind is Kind.FRESHNESS}):
        items.extend(
            item_from_schedule(s, ds) for s in client.freshness.iter_schedules(asset_id=ds)
        )
    return unique_by_id(items)


def _label(change: Change) -> str:
    return f"{change.action.value} {change.kind.value} {change.key or change.name!r}"


def _targeted(change: Change, by_id: dict[tuple[Kind, str], RemoteItem]) -> str | None:
    if not change.remote_id:
        return f"{_label(change)} names no remote_id"
    item = by_id.get((change.kind, str(change.remote_id)))
    if item is None:
        return f"{_label(change)}: id {change.remote_id} does not exist on the platform"
    if item.data_source != change.data_source:
        return f"{_label(change)}: id {change.remote_id} is on data source {item.data_source}"
    if change.kind is Kind.FRESHNESS:
        if change.action is Action.DELETE:
            return f"{_label(change)}: schedules are never deleted by a plan"
        if item.table_path.lower() != change.table_path.lower():
            return f"{_label(change)}: schedule {change.remote_id} is on {item.table_path}"
        return None
    if item.key is None:
        return f"{_label(change)}: id {change.remote_id} is not managed by dbt-armor (no marker)"
    if item.key != change.key:
        return f"{_label(change)}: id {change.remote_id} carries the key {item.key}"
    return None


def _body(change: Change) -> str | None:
    """The create body and the PATCH must keep the change's identity and only our fields."""
    if change.action is Action.UPDATE:
        patch = dict(change.patch or {})
        if not patch:
            return f"{_label(change)} has an empty patch"
        extra = sorted(set(patch) - PATCHABLE[change.kind])
        if extra:
            return f"{_label(change)}: patch sets {', '.join(extra)}, which sync never changes"
        if "description" in patch:
            return _marker_matches(change, patch["description"])
        return None
    if change.action in _CREATES:
        payload = dict(change.payload or {})
        if not payload:
            return f"{_label(change)} has no payload"
        if change.kind is Kind.FRESHNESS:
            same_table = str(payload.get("table_path", "")).lower() == change.table_path.lower()
            if not same_table or payload.get("asset_id") != change.data_source:
                return f"{_label(change)}: payload is for another table or data source"
            return None
        return _marker_matches(change, payload.get("description"))
    return None


def _marker_matches(change: Change, description: object) -> str | None:
    marker = parse_marker(str(description) if description is not None else None)
    if marker is None or marker.key != change.key:
        return f"{_label(change)}: the description does not carry this change's marker"
    return None


def _taken(
    change: Change,
    keys: dict[tuple[Kind, str, str], set[str]],
    paths: set[tuple[str, str]],
    leaving: set[str],
) -> str | None:
    if change.kind is Kind.FRESHNESS:
        if (
            change.action is Action.CREATE
            and (
                change.data_source,
                change.table_path.lower(),
            )
            in paths
        ):
            return f"{_label(change)}: a schedule on {change.table_path} exists already"
        return None
    ids = keys.get((change.kind, change.data_source, change.key), set()) - leaving
    if ids:
        return f"{_label(change)}: the key exists already (id {', '.join(sorted(ids))})"
    return None


def _last_copies(
    changes: Sequence[Change], keys: dict[tuple[Kind, str, str], set[str]]
) -> list[str]:
    """A duplicate delete (not a prune) must leave another copy of its key on the platform."""
    doomed: dict[tuple[Kind, str, str], set[str]] = {}
    for c in changes:
        if c.action is Action.DELETE and not c.needs_prune and c.kind is not Kind.FRESHNESS:
            doomed.setdefault((c.kind, c.data_source, c.key), set()).add(str(c.remote_id))
    return [
        f"delete {kind.value} {key!r} as a duplicate would remove every copy of it"
        for (kind, ds, key), ids in sorted(doomed.items(), key=lambda kv: kv[0][2])
        if not keys.get((kind, ds, key), set()) - ids
    ]


def problems(changes: Iterable[Change], live: Iterable[RemoteItem]) -> list[str]:
    """One line per change that the live state does not allow (pure)."""
    items = list(live)
    by_id = {(i.kind, i.remote_id): i for i in items}
    keys: dict[tuple[Kind, str, str], set[str]] = {}
    for item in items:
        if item.key is not None:
            keys.setdefault((item.kind, item.data_source, item.key), set()).add(item.remote_id)
    paths = {(i.data_source, i.table_path.lower()) for i in items if i.kind is Kind.FRESHNESS}
    pending = list(changes)
    # copies this plan deletes or replaces do not count as "the key exists already"
    leaving = {
        str(c.remote_id)
        for c in pending
        if c.action in (Action.DELETE, Action.REPLACE) and c.remote_id is not None
    }
    out: list[str] = _last_copies(pending, keys)
    for change in pending:
        found = _targeted(change, by_id) if change.action in _TARGETED else None
        found = found or _body(change)
        if found is None and change.action in _CREATES:
            found = _taken(change, keys, paths, leaving)
        if found is not None:
            out.append(found)
    return out


def verify_live(client: ArmorClient, changes: Sequence[Change]) -> None:
    """Raise PlanError (exit 2, nothing written) unless every change fits the live state."""
    if not changes:
        return
    found = problems(changes, live_items(client, changes))
    if not found:
        return
    more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
    raise PlanError(
        f"refused, nothing written: {len(found)} change(s) do not match the platform now: "
        + "; ".join(found[:SHOWN])
        + more,
        hint="run `dbt-armor sync plan` again and apply the new plan",
    )
