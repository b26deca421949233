"""Validity rules and referential checks for the gated tables: listing the active ones per data
source, matching them to tables by ``table_path`` suffix, and turning failures into RuleFailures.

Reads only through the client it is given; decides nothing (the policy does).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from dbt_armor.errors import NotFoundError
from dbt_armor.gate.facts import RuleFailure

if TYPE_CHECKING:  # pragma: no cover
    from dbt_armor.api.client import ArmorClient


class Gated(Protocol):
    """What matching needs from a fetch target."""

    @property
    def unique_id(self) -> str: ...

    @property
    def table_path(self) -> str: ...


def path_keys(table_path: str) -> list[str]:
    """The lower-case suffixes (1 to all segments) a rule's table_path may use for the table."""
    parts = table_path.lower().split(".")
    return [".".join(parts[-k:]) for k in range(1, len(parts) + 1)]


def rule_key(rule_path: str) -> str:
    return ".".join(p for p in str(rule_path or "").lower().split(".") if p)


class TableIndex:
    """Gated tables by every suffix of their table_path, for O(1) rule matching."""

    def __init__(self, targets: Iterable[Gated]) -> None:
        self.by_key: dict[str, list[str]] = defaultdict(list)
        for t in targets:
            for key in path_keys(t.table_path):
                self.by_key[key].append(t.unique_id)

    def match(self, rule_path: str) -> list[str]:
        """unique_ids of the gated tables a rule or check on ``rule_path`` applies to."""
        key = rule_key(rule_path)
        return list(self.by_key.get(key, [])) if key else []


def active_rules(client: ArmorClient, source: str) -> list[Any]:
    try:
        return [r for r in client.validity.iter(source) if r.is_active]
    except NotFoundError:
        return []


def active_checks(client: ArmorClient, source: str) -> list[Any]:
    try:
        return [c for c in client.referential.iter(source) if c.is_active]
    except NotFoundError:
        return []


def failures(
    targets: Iterable[Gated],
    rules: list[Any],
    checks: list[Any],
    results: Mapping[str, Any] | None = None,
) -> dict[str, list[RuleFailure]]:
    """Failing rules and checks per target; ``results`` (rule uuid -> latest check result, when
    known) adds the invalid count and percent."""
    index = TableIndex(targets)
    known = results or {}
    out: dict[str, list[RuleFailure]] = defaultdict(list)
    for r in rules:
        if r.latest_status != "fail":
            continue
        got = known.get(r.uuid)
        for uid in index.match(r.table_path):
            out[uid].append(
                RuleFailure(
                    "validity",
                    r.name or r.rule_type or r.uuid,
                    (r.severity or "warning").lower(),
                    r.column_name,
                    r.rule_type,
                    getattr(got, "invalid_count", None),
                    getattr(got, "invalid_percent", None),
                )
            )
    for c in checks:
        if c.latest_status != "fail":
            continue
        got = known.get(c.id)
        detail = f"{c.child_column_name} -> {c.parent_table_path}.{c.parent_column_name}"
        for uid in index.match(c.child_table_path):
            out[uid].append(
                RuleFailure(
                    "referential",
                    c.name or c.id,
                    (c.severity or "error").lower(),
                    c.child_column_name,
                    detail,
                    getattr(got, "orphan_count", None),
                    getattr(got, "orphan_percent", None),
                )
            )
    return out
