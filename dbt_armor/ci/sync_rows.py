"""The rule-sync part of a PR check: what merging would create/update/delete, and drift.

Runs the sync planner (translate, one read of the platform's rules, build_plan) for the PR and
for the production manifest, scoped to the PR's nodes; never applies anything. The PR plan is
what the merge would do; the production plan's updates, replaces and deletes are drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dbt_armor.ci.diff import ChangeSet
from dbt_armor.ci.report import PlanRow
from dbt_armor.errors import ConfigError
from dbt_armor.sync.plan import build_plan
from dbt_armor.sync.remote import read_remote
from dbt_armor.sync.request_bodies import check_dialect
from dbt_armor.sync.specs import Action, Change, Kind, RemoteItem, RemoteState, Translation
from dbt_armor.sync.translate import translate

if TYPE_CHECKING:
    from dbt_armor.api import ArmorClient
    from dbt_armor.config import Settings
    from dbt_armor.project.manifest import Manifest

DRIFT_ACTIONS = frozenset({Action.UPDATE, Action.REPLACE, Action.DELETE})


@dataclass(frozen=True)
class SyncSection:
    """Rows for the report: merge plan, drift, and one-line notes."""

    plan: tuple[PlanRow, ...]
    drift: tuple[PlanRow, ...]
    notes: tuple[str, ...]


def _translate(manifest: Manifest, settings: Settings, target: str | None) -> Translation:
    from dbt_armor.project.naming import NameResolver

    resolver = NameResolver(
        manifest, target=target, data_sources=settings.data_sources, case=settings.naming_case
    )
    return translate(manifest, resolver.resolve)


def _remote(
    client: ArmorClient, translations: Iterable[Translation], scope: frozenset[str]
) -> tuple[RemoteState, list[str]]:
    """One read of the platform for every data source the in-scope specs live in."""
    specs = [s for t in translations for s in t.specs if s.node_id in scope]
    sources = sorted({s.data_source for s in specs})
    items: list[RemoteItem] = []
    read: list[str] = []
    notes: list[str] = []
    for ds in sources:
        paths = {(ds, s.table_path) for s in specs if s.kind is Kind.FRESHNESS}
        paths = {p for p in paths if p[0] == ds}
        try:
            state = read_remote(client, [ds], sorted(paths))
        except ConfigError:
            notes.append(f"rule sync: data source '{ds}' is not on the platform; its rules skipped")
            continue
        items.extend(state.items)
        read.append(ds)
    return RemoteState(tuple(items), tuple(read)), notes


def _file_of(manifest: Manifest, uid: str | None) -> str | None:
    if not uid:
        return None
    node = manifest.nodes.get(uid) or manifest.sources.get(uid)
    return (node.original_file_path or None) if node is not None else None


def _detail(change: Change) -> str:
    action = change.action
    if action is Action.CREATE:
        return next((str(d.after) for d in change.diffs if d.field == "definition"), "")
    if action is Action.DELETE:
        prune = " (runs with `sync apply --prune`)" if change.needs_prune else ""
        return f"{change.reason}{prune}"
    diffs = ", ".join(f"{d.field}: {d.before!r} → {d.after!r}" for d in change.diffs)
    return f"{change.reason}: {diffs}" if change.reason and diffs else change.reason or diffs


def _rows(changes: Iterable[Change], files: Mapping[str, str | None]) -> list[PlanRow]:
    return [
        PlanRow(
            action=c.action.value,
            kind=c.kind.value,
            name=c.name,
            table=c.table_path,
            node_id=c.node_id,
            detail=_detail(c),
            file=files.get(c.key),
        )
        for c in changes
    ]


def _files(manifest: Manifest, translation: Translation) -> dict[str, str | None]:
    """rule key -> the file declaring its test (or the source, for freshness)."""
    return {
        s.key: _file_of(manifest, s.test_id) or _file_of(manifest, s.node_id)
        for s in translation.specs
    }


def sync_rows(
    settings: Settings,
    pr: Manifest,
    prod: Manifest,
    changes: ChangeSet,
    client: ArmorClient,
    *,
    target: str | None,
    now: datetime,
) -> SyncSection:
    """The merge plan and drift for the nodes in the PR's sync scope."""
    scope = changes.sync_scope
    if not scope:
        return SyncSection((), (), ())
    dialect = check_dialect(settings.dialect)
    pr_t = _translate(pr, settings, target)
    prod_t = _translate(prod, settings, target)
    remote, notes = _remote(client, (pr_t, prod_t), scope)
    merge = build_plan(pr_t, remote, dialect=dialect, now=now, scope=scope)
    current = build_plan(prod_t, remote, dialect=dialect, now=now, scope=scope)
    files = {**_files(prod, prod_t), **_files(pr, pr_t)}
    drift = [c for c in current.changes if c.action in DRIFT_ACTIONS]
    drifted = {(c.kind, c.key, c.action) for c in drift}
    plan = [
        c
        for c in merge.changes
        if c.action is not Action.UNCHANGED and (c.kind, c.key, c.action) not in drifted
    ]
    changed_tests = {c.unique_id for c in changes.changes if c.resource_type == "test"}
    notes += [
        f"not synced: {u.name}: {u.reason}"
        for u in pr_t.unmapped
        if u.unique_id in changed_tests and u.node_id in scope
    ]
    return SyncSection(tuple(_rows(plan, files)), tuple(_rows(drift, files)), tuple(notes))
