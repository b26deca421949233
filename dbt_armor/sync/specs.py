"""Value types shared by the sync pipeline: rule specs, unmapped tests, remote items, plans.

Owns plain data only; it must not translate, diff, read the manifest or talk HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(str, Enum):
    """What a spec becomes on the platform."""

    VALIDITY = "validity"
    REFERENTIAL = "referential"
    FRESHNESS = "freshness"


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RuleSpec:
    """One desired platform object, dialect-independent (rule types are canonical upper names).

    ``config`` holds canonical rule_config keys (``allowed_values``, ``min``/``max``,
    ``pattern``, ``format``, ``sql_expression``, ``min_length``/``max_length``, ``where``,
    ``inclusive``, ``columns``). Referential specs use ``parent_table_path``/``parent_column``;
    freshness specs use ``check_interval``, ``expected_interval_hours``, ``freshness_column``.
    """

    key: str
    kind: Kind
    node_id: str
    data_source: str
    table_path: str
    column: str | None
    rule_type: str
    test_name: str
    label: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "critical"
    alert_threshold_percent: float | None = None
    treat_null_as_valid: bool | None = None
    parent_node_id: str | None = None
    parent_table_path: str | None = None
    parent_column: str | None = None
    max_orphan_count: int | None = None
    check_interval: str | None = None
    expected_interval_hours: float | None = None
    warn_after_hours: float | None = None
    freshness_column: str | None = None
    test_id: str | None = None
    tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unmapped:
    """A test or source config that does not become a platform object, and why."""

    unique_id: str
    name: str
    reason: str
    node_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "unique_id": self.unique_id,
            "name": self.name,
            "reason": self.reason,
            "node_id": self.node_id,
        }


@dataclass(frozen=True)
class Translation:
    """Everything translate() learned from a manifest."""

    specs: tuple[RuleSpec, ...]
    unmapped: tuple[Unmapped, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class RemoteItem:
    """One object read from the platform, normalised for diffing.

    ``key``/``node_id``/``spec_hash`` come from the ownership marker (``None`` = unmarked, never
    touched). ``fields`` holds the mutable fields as the platform reports them.
    """

    kind: Kind
    remote_id: str
    data_source: str
    table_path: str
    key: str | None
    node_id: str | None
    spec_hash: str | None
    fields: Mapping[str, Any] = field(default_factory=dict)


def unique_by_id(items: Iterable[RemoteItem]) -> list[RemoteItem]:
    """The items with each (kind, id) once, first sighting kept: an offset listing that ran
    while rules were added can return one rule on two pages."""
    seen: set[tuple[Kind, str]] = set()
    out: list[RemoteItem] = []
    for item in items:
        ident = (item.kind, item.remote_id)
        if ident not in seen:
            seen.add(ident)
            out.append(item)
    return out


@dataclass(frozen=True)
class RemoteState:
    items: tuple[RemoteItem, ...]
    data_sources: tuple[str, ...]
    unmarked: int = 0

    def managed(self) -> tuple[RemoteItem, ...]:
        return tuple(i for i in self.items if i.key is not None)


@dataclass(frozen=True)
class FieldDiff:
    field: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Change:
    """One step of a plan. ``payload`` is the create body, ``patch`` the PATCH body.

    ``target`` (``table.column``), ``rule`` (short rule text) and ``severity`` are for display.
    """

    action: Action
    kind: Kind
    key: str
    node_id: str | None
    name: str
    data_source: str
    table_path: str
    remote_id: str | None = None
    payload: Mapping[str, Any] | None = None
    patch: Mapping[str, Any] | None = None
    diffs: tuple[FieldDiff, ...] = ()
    needs_prune: bool = False
    reason: str = ""
    target: str = ""
    rule: str = ""
    severity: str | None = None
