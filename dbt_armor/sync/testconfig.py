"""Apply a dbt test's config (severity, where, warn_if/error_if) and meta.armor overrides (pure).

Anything the platform cannot express is kept as a ``not carried`` note on the spec; it must
not pick the rule type or the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dbt_armor.sync.inputs import TestInput
from dbt_armor.sync.specs import Kind

SEVERITIES = ("info", "warning", "error", "critical")
_DBT_SEVERITY = {"error": "critical", "warn": "warning"}
_THRESHOLD = re.compile(r"^\s*(>=|>|!=|<>)\s*(\d+)\s*$")
_DEFAULT = ("!=", 0)


def severity_of(test: TestInput) -> tuple[str, tuple[str, ...]]:
    """dbt ``error`` -> ``critical``, ``warn`` -> ``warning``; meta.armor.severity wins."""
    override = test.armor.get("severity")
    if override is not None:
        value = str(override).strip().lower()
        if value in SEVERITIES:
            return value, ()
        note = f"ignored meta.armor.severity {override!r} (use one of {', '.join(SEVERITIES)})"
        return _DBT_SEVERITY.get(test.severity.strip().lower(), "critical"), (note,)
    return _DBT_SEVERITY.get(test.severity.strip().lower(), "critical"), ()


def parse_threshold(expr: str) -> tuple[str, int] | None:
    """``"> 10"`` -> ``(">", 10)``; ``None`` when the expression is not a simple count test."""
    match = _THRESHOLD.match(expr)
    if match is None:
        return None
    op = "!=" if match.group(1) == "<>" else match.group(1)
    return op, int(match.group(2))


def _is_default(expr: str) -> bool:
    parsed = parse_threshold(expr)
    return parsed in (_DEFAULT, (">", 0), (">=", 1))


def _max_allowed(parsed: tuple[str, int]) -> int | None:
    """The failing-row count still allowed: ``> 10`` -> 10, ``>= 10`` -> 9."""
    op, n = parsed
    if op == ">":
        return n
    if op == ">=":
        return max(n - 1, 0)
    return None


@dataclass(frozen=True)
class Effects:
    """What a test's config adds to its rule: severity, rule_config entries, orphan allowance."""

    severity: str
    config: dict[str, Any]
    max_orphan_count: int | None
    notes: tuple[str, ...]


def config_effects(kind: Kind, test: TestInput) -> Effects:
    severity, notes = severity_of(test)
    config: dict[str, Any] = {}
    extra: list[str] = list(notes)
    max_orphans: int | None = None
    if test.where:
        if kind is Kind.VALIDITY:
            config["where"] = str(test.where)
        else:
            extra.append(f"not carried: where `{test.where}` (referential checks have no filter)")
    relevant, other = ("error_if", "warn_if") if severity == "critical" else ("warn_if", "error_if")
    for name in (relevant, other):
        expr = getattr(test, name)
        if _is_default(expr):
            continue
        parsed = parse_threshold(expr)
        allowed = _max_allowed(parsed) if parsed is not None else None
        if name == relevant and kind is Kind.REFERENTIAL and allowed is not None:
            max_orphans = allowed
            continue
        why = "a count cannot become a percent" if name == relevant else "one severity per rule"
        extra.append(f"not carried: {name} `{expr}` ({why})")
    return Effects(severity, config, max_orphans, tuple(extra))
