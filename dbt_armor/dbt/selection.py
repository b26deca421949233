"""The nodes one dbt invocation would execute, read from ``dbt ls`` output (pure parsing).

Owns the Selection value and how ls lines become it; never runs dbt itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

# keys requested from `dbt ls --output json --output-keys ...` (separate argv items)
LS_OUTPUT_KEYS = ("unique_id", "resource_type", "name", "package_name", "fqn")


@dataclass(frozen=True)
class Selection:
    """Selected nodes and, per node, a selector string dbt accepts back in --select/--exclude.

    ``empty`` is True when dbt selected nothing: a selection typo looks exactly like this, so
    callers should warn instead of silently gating nothing.
    """

    unique_ids: frozenset[str]
    selectors: dict[str, str] = field(default_factory=dict)
    resource_types: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.unique_ids

    @property
    def warning(self) -> str | None:
        if self.unique_ids:
            return None
        return (
            "dbt selected no nodes for this command; check --select/--exclude/--selector "
            "(nothing upstream is gated)"
        )


def selector_for(row: dict[str, object]) -> str | None:
    """The selector dbt's own ``ls --output selector`` prints for a model/seed/snapshot row."""
    fqn = row.get("fqn")
    if isinstance(fqn, list) and fqn and all(isinstance(part, str) for part in fqn):
        return ".".join(str(part) for part in fqn)
    return None


def parse_ls_lines(lines: Iterable[str]) -> list[dict[str, object]]:
    """JSON objects with a unique_id from ls output; log lines and other noise are skipped."""
    rows: list[dict[str, object]] = []
    for raw in lines:
        line = raw.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("unique_id"), str):
            rows.append(value)
    return rows


def selection_from_rows(
    rows: Iterable[dict[str, object]], fallback_selectors: Iterable[str] | None = None
) -> Selection:
    """Build a Selection; ``fallback_selectors`` (ls --output selector, same order) fill gaps."""
    ordered = sorted(rows, key=lambda r: str(r["unique_id"]))
    fallback = list(fallback_selectors) if fallback_selectors is not None else []
    selectors: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for index, row in enumerate(ordered):
        uid = str(row["unique_id"])
        kinds[uid] = str(row.get("resource_type") or uid.split(".", 1)[0])
        chosen = selector_for(row)
        if chosen is None and len(fallback) == len(ordered):
            chosen = fallback[index]
        if chosen is not None:
            selectors[uid] = chosen
    return Selection(frozenset(kinds), selectors, kinds)


def needs_fallback(rows: Iterable[dict[str, object]]) -> bool:
    """True when some row lacks an fqn (an engine that ignores that output key)."""
    return any(selector_for(row) is None for row in rows)
