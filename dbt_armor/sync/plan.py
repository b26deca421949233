"""Diff desired rule specs against the managed remote state into a Plan (pure).

Only remote objects carrying our marker are updated, replaced or deleted; freshness schedules
are matched by table path (every copy on a path follows dbt) and never deleted. The clock is a
parameter; no HTTP here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dbt_armor.sync.keys import canonical_hash, display_name, spec_hash
from dbt_armor.sync.request_bodies import Dialect, create_payload, mutable_fields, patch_body
from dbt_armor.sync.rule_text import rule_text, target
from dbt_armor.sync.specs import (
    Action,
    Change,
    FieldDiff,
    Kind,
    RemoteItem,
    RemoteState,
    RuleSpec,
    Translation,
    Unmapped,
    unique_by_id,
)

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Plan:
    generated_at: str
    remote_fingerprint: str
    dialect: str
    data_sources: tuple[str, ...]
    changes: tuple[Change, ...]
    unmapped: tuple[Unmapped, ...]
    warnings: tuple[str, ...]
    scoped: bool = False
    schema_version: int = SCHEMA_VERSION

    def pending(self, prune: bool) -> list[Change]:
        """The changes apply would execute (deletes of unwanted rules only with ``prune``)."""
        return [
            c
            for c in self.changes
            if c.action is not Action.UNCHANGED and (prune or not c.needs_prune)
        ]

    def counts(self) -> dict[str, int]:
        out = {a.value: 0 for a in Action}
        for change in self.changes:
            out[change.action.value] += 1
        return out

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.UNCHANGED for c in self.changes)


def fingerprint(items: Iterable[RemoteItem]) -> str:
    """A hash of the remote state a plan was computed against."""
    rows = sorted(
        (i.kind.value, i.remote_id, i.key or "", i.spec_hash or "", sorted(i.fields.items()))
        for i in items
    )
    return canonical_hash(rows)[:16]


def build_plan(
    translation: Translation,
    remote: RemoteState,
    *,
    dialect: Dialect,
    now: datetime,
    scope: frozenset[str] | None = None,
) -> Plan:
    """``scope`` = the selected node ids; deletes are limited to rules of those nodes."""
    desired = [s for s in translation.specs if scope is None or s.node_id in scope]
    # a key is one rule per data source: a node mapped to another data source is a new rule
    by_key: dict[tuple[Kind, str, str], list[RemoteItem]] = {}
    schedules: dict[tuple[str, str], list[RemoteItem]] = {}
    for item in sorted(unique_by_id(remote.items), key=lambda i: i.remote_id):
        if item.kind is Kind.FRESHNESS:
            schedules.setdefault((item.data_source, item.table_path.lower()), []).append(item)
        elif item.key is not None:
            by_key.setdefault((item.kind, item.data_source, item.key), []).append(item)
    changes: list[Change] = []
    wanted: set[tuple[Kind, str, str]] = set()
    for spec in desired:
        wanted.add((spec.kind, spec.data_source, spec.key))
        if spec.kind is Kind.FRESHNESS:
            # Schedules carry no marker, so copies on one path cannot be told apart: bring each
            # into line. Managing only one would depend on id order, which a replace changes,
            # and would leave a copy that contradicts dbt (the plan would never settle).
            copies = schedules.get((spec.data_source, spec.table_path.lower()), [])
            if not copies:
                changes.append(_diff(spec, None, dialect, spec_hash(spec)))
            changes.extend(_diff(spec, found, dialect, spec_hash(spec)) for found in copies)
            continue
        candidates = by_key.get((spec.kind, spec.data_source, spec.key), [])
        want_hash = spec_hash(spec)
        best = next((c for c in candidates if c.spec_hash == want_hash), None)
        best = best or (candidates[0] if candidates else None)
        changes.append(_diff(spec, best, dialect, want_hash))
        for extra in candidates:
            if extra is not best:
                changes.append(_delete(extra, "duplicate of a managed rule", needs_prune=False))
    for ident, items in sorted(by_key.items(), key=lambda kv: (kv[0][0].value, *kv[0][1:])):
        if ident in wanted:
            continue
        for item in items:
            if scope is None or item.node_id in scope:
                changes.append(_delete(item, "no longer in the dbt project", needs_prune=True))
    live = unique_by_id(remote.items)
    relevant = [i for i in live if i.key is not None or i.kind is Kind.FRESHNESS]
    return Plan(
        generated_at=now.isoformat().replace("+00:00", "Z"),
        remote_fingerprint=fingerprint(relevant),
        dialect=dialect,
        data_sources=remote.data_sources,
        changes=tuple(changes),
        unmapped=translation.unmapped,
        warnings=translation.warnings,
        scoped=scope is not None,
    )


def _base(spec: RuleSpec, action: Action, **kw: Any) -> Change:
    return Change(
        action=action,
        kind=spec.kind,
        key=spec.key,
        node_id=spec.node_id,
        name=display_name(spec),
        data_source=spec.data_source,
        table_path=spec.table_path,
        target=target(spec.table_path, spec.column),
        rule=rule_text(spec),
        severity=spec.severity if spec.kind is Kind.VALIDITY else None,
        **kw,
    )


def _diff(spec: RuleSpec, found: RemoteItem | None, dialect: Dialect, want_hash: str) -> Change:
    desired = mutable_fields(spec, want_hash or None)
    if found is None:
        what = (FieldDiff("definition", None, _definition(spec)),)
        return _base(
            spec, Action.CREATE, payload=create_payload(spec, dialect, desired), diffs=what
        )

    def replace(diffs: tuple[FieldDiff, ...], reason: str) -> Change:
        payload = create_payload(spec, dialect, desired)
        return _base(
            spec,
            Action.REPLACE,
            remote_id=found.remote_id,
            payload=payload,
            diffs=diffs,
            reason=reason,
        )

    if spec.kind is not Kind.FRESHNESS and found.spec_hash != want_hash:
        changed = (
            FieldDiff("definition", found.fields.get("definition"), _definition(spec)),
            FieldDiff("rule", found.fields.get("rule"), rule_text(spec)),
        )
        return replace(changed, "rule type, column, table or config changed")
    patch = patch_body(desired, dict(found.fields))
    if not patch:
        return _base(spec, Action.UNCHANGED, remote_id=found.remote_id)
    diffs = tuple(FieldDiff(k, found.fields.get(k), v) for k, v in patch.items())
    if any(v is None for v in patch.values()):
        # PATCH cannot clear a field (None is not sent): recreate the rule instead.
        return replace(diffs, "a field must be cleared, which PATCH cannot do")
    return _base(spec, Action.UPDATE, remote_id=found.remote_id, patch=patch, diffs=diffs)


def _definition(spec: RuleSpec) -> str:
    """A one-line text of the immutable part of a spec (shown in replace diffs)."""
    if spec.kind is Kind.REFERENTIAL:
        return f"{spec.table_path}.{spec.column} -> {spec.parent_table_path}.{spec.parent_column}"
    if spec.kind is Kind.FRESHNESS:
        column = f" on {spec.freshness_column}" if spec.freshness_column else ""
        return (
            f"expected every {spec.expected_interval_hours}h{column}, checked {spec.check_interval}"
        )
    config = ",".join(f"{k}={v}" for k, v in sorted(spec.config.items()))
    column = f".{spec.column}" if spec.column else ""
    return f"{spec.rule_type} {spec.table_path}{column} {config}".strip()


def _delete(item: RemoteItem, reason: str, *, needs_prune: bool) -> Change:
    return Change(
        action=Action.DELETE,
        kind=item.kind,
        key=item.key or "",
        node_id=item.node_id,
        name=str(item.fields.get("name") or item.key),
        data_source=item.data_source,
        table_path=item.table_path,
        remote_id=item.remote_id,
        needs_prune=needs_prune,
        reason=reason,
        target=str(item.fields.get("target") or item.table_path),
        rule=str(item.fields.get("rule") or ""),
        severity=item.fields.get("severity"),
    )
