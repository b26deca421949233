"""One-line human descriptions of rule specs for plans: target (``table.column``) and rule text.

Pure: owns wording only (``ENUM [placed, shipped]``, ``RANGE [0, 100]``, ``-> customers.id``);
it must not truncate for a terminal, diff, or talk to the platform.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dbt_armor.sync.specs import Kind, RuleSpec

# the shapes mappings.py writes: a NULL-safe expression and a multi-column uniqueness check
_NULL_SAFE = re.compile(r"coalesce\(\((.*)\), TRUE\)", re.IGNORECASE)
_COMBINATION = re.compile(r"coalesce\(\(([^()]*)\) NOT IN \(SELECT ", re.IGNORECASE)


def short_table(table_path: str) -> str:
    """The last segment of ``db.schema.table`` (what people call the table)."""
    return table_path.rsplit(".", 1)[-1] if table_path else ""


def target(table_path: str, column: str | None) -> str:
    table = short_table(table_path)
    return f"{table}.{column}" if column else table


def _value(value: Any) -> str:
    return str(value).replace("\n", " ")


def _range(config: Mapping[str, Any], low: str, high: str) -> str:
    lo, hi = config.get(low), config.get(high)
    inclusive = config.get("inclusive", True) is not False
    if lo is not None and hi is not None:
        left, right = ("[", "]") if inclusive else ("(", ")")
        return f"{left}{lo}, {hi}{right}"
    op = (">=" if inclusive else ">") if lo is not None else ("<=" if inclusive else "<")
    return f"{op} {lo if lo is not None else hi}"


def _balanced(sql: str) -> bool:
    depth = 0
    for char in sql:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def config_text(rule_type: str, config: Mapping[str, Any]) -> str:
    """A rule_config as short text (no rule type, no where); reads both dialects' keys."""
    if rule_type == "ENUM":
        values = config.get("allowed_values") or config.get("values") or []
        return "[" + ", ".join(_value(v) for v in values) + "]"
    if rule_type == "RANGE":
        return _range(config, "min", "max")
    if rule_type == "LENGTH":
        return _range(config, "min_length", "max_length")
    if rule_type == "REGEX":
        return _value(config.get("pattern", ""))
    if rule_type == "DATE_FORMAT":
        return _value(config.get("format") or config.get("format_type") or "")
    if rule_type == "CUSTOM_SQL":
        sql = _value(config.get("sql_expression", ""))
        combo = _COMBINATION.match(sql)
        if combo:
            return f"unique ({combo.group(1)})"
        match = _NULL_SAFE.fullmatch(sql)
        return match.group(1) if match and _balanced(match.group(1)) else sql
    return ""


def rule_text(spec: RuleSpec) -> str:
    """``ENUM [placed, shipped] where x > 1``, ``-> customers.id``, ``every 24h, checked 1h``."""
    if spec.kind is Kind.REFERENTIAL:
        parent = target(spec.parent_table_path or "", spec.parent_column)
        allowance = f" (<= {spec.max_orphan_count} orphans)" if spec.max_orphan_count else ""
        return f"-> {parent}{allowance}"
    if spec.kind is Kind.FRESHNESS:
        warn_h = spec.warn_after_hours
        warn = f" (warn {warn_h:g}h)" if warn_h and warn_h != spec.expected_interval_hours else ""
        column = f" on {spec.freshness_column}" if spec.freshness_column else ""
        hours = spec.expected_interval_hours
        every = f"every {hours:g}h" if hours is not None else "auto"
        return f"{every}{warn}, checked {spec.check_interval}{column}"
    parts = [spec.rule_type, config_text(spec.rule_type, spec.config)]
    if spec.alert_threshold_percent:
        parts.append(f"(alert above {spec.alert_threshold_percent:g}%)")
    where = spec.config.get("where")
    if where:
        parts.append(f"where {_value(where)}")
    return " ".join(p for p in parts if p)
