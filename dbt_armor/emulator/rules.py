"""Validity rule types and rule_config keys: every alias normalised to one canonical form,
plus the SQL condition that marks a row invalid.

Pure: no state, no I/O. Callers keep the caller's own spelling to echo it back.
"""

from __future__ import annotations

from typing import Any

from dbt_armor.emulator.sqldialect import DUCKDB, SqlDialect

RULE_TYPES = ("NOT_NULL", "UNIQUE", "REGEX", "RANGE", "ENUM", "DATE_FORMAT", "CUSTOM_SQL", "LENGTH")

_ALIASES = {
    "not_null": "NOT_NULL",
    "notnull": "NOT_NULL",
    "unique": "UNIQUE",
    "regex": "REGEX",
    "regex_match": "REGEX",
    "pattern": "REGEX",
    "range": "RANGE",
    "range_bounds": "RANGE",
    "between": "RANGE",
    "enum": "ENUM",
    "accepted_values": "ENUM",
    "allowed_values": "ENUM",
    "in_set": "ENUM",
    "date_format": "DATE_FORMAT",
    "format": "DATE_FORMAT",
    "custom_sql": "CUSTOM_SQL",
    "custom": "CUSTOM_SQL",
    "expression": "CUSTOM_SQL",
    "length": "LENGTH",
    "length_bounds": "LENGTH",
}

_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "ENUM": {"values": ("values", "allowed_values", "accepted_values")},
    "REGEX": {"pattern": ("pattern", "regex")},
    "RANGE": {"min": ("min", "min_value"), "max": ("max", "max_value")},
    "LENGTH": {"min_length": ("min_length", "min"), "max_length": ("max_length", "max")},
    "DATE_FORMAT": {"format": ("format_type", "format")},
    "CUSTOM_SQL": {"sql_expression": ("sql_expression", "expression", "sql")},
}
_REQUIRED = {"ENUM": ("values",), "REGEX": ("pattern",), "CUSTOM_SQL": ("sql_expression",)}
_TOKENS = (("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))


class RuleError(ValueError):
    """A rule definition that cannot be accepted; the message names the field."""


def canonical_type(raw: str) -> str:
    key = str(raw).strip().lower()
    if key.upper() in RULE_TYPES:
        return key.upper()
    if key in _ALIASES:
        return _ALIASES[key]
    raise RuleError(f"unknown rule_type {raw!r}: use one of {', '.join(RULE_TYPES)}")


def normalise_config(rule_type: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """Canonical config (``values``, ``pattern``, ``min``/``max``, ``min_length``/``max_length``,
    ``format``, ``sql_expression``, ``where``) from any accepted spelling."""
    config = dict(config or {})
    out: dict[str, Any] = {}
    for canon, names in _KEYS.get(rule_type, {}).items():
        for name in names:
            if config.get(name) is not None:
                out[canon] = config[name]
                break
    where = config.get("where") or config.get("filter")
    if where:
        out["where"] = str(where)
    for key in _REQUIRED.get(rule_type, ()):
        if out.get(key) in (None, "", []):
            raise RuleError(f"rule_config for {rule_type} needs {key!r}")
    if rule_type == "ENUM" and not isinstance(out["values"], list):
        raise RuleError("rule_config values must be a list")
    if rule_type == "RANGE" and out.get("min") is None and out.get("max") is None:
        raise RuleError("rule_config for RANGE needs 'min' or 'max'")
    if rule_type == "LENGTH" and out.get("min_length") is None and out.get("max_length") is None:
        raise RuleError("rule_config for LENGTH needs 'min_length' or 'max_length'")
    return out


def invalid_condition(
    rule_type: str,
    col: str | None,
    config: dict[str, Any],
    null_ok: bool,
    dialect: SqlDialect = DUCKDB,
) -> tuple[str, list[Any]]:
    """SQL marking a row invalid (``col`` already quoted) in ``dialect``, and its parameters.

    May contain ``{rel}``/``{scope}`` placeholders for the table and row filter.
    """
    if rule_type == "CUSTOM_SQL":
        return f"NOT coalesce(({config['sql_expression']}), FALSE)", []
    if col is None:
        raise RuleError(f"{rule_type} needs a column_name")
    if rule_type == "NOT_NULL":
        return f"{col} IS NULL", []
    if rule_type == "UNIQUE":
        dup = (
            f"SELECT {col} FROM {{rel}} WHERE {{scope}} AND {col} IS NOT NULL "
            f"GROUP BY {col} HAVING count(*) > 1"
        )
        return f"{col} IN ({dup})", []
    text = f"CAST({col} AS VARCHAR)"
    params: list[Any] = []
    if rule_type == "ENUM":
        bound = [dialect.bind(str(v)) for v in config["values"]]
        bad = f"{text} NOT IN ({', '.join(sql for sql, _ in bound)})"
        params = [p for _, ps in bound for p in ps]
    elif rule_type == "REGEX":
        bad, params = dialect.not_full_match(text, str(config["pattern"]))
    elif rule_type == "RANGE":
        bad, params = _bounds(col, config.get("min"), config.get("max"), dialect)
    elif rule_type == "LENGTH":
        length = f"length({text})"
        bad, params = _bounds(length, config.get("min_length"), config.get("max_length"), dialect)
    else:  # DATE_FORMAT
        bad, params = _date_format(text, str(config.get("format") or "iso_date"), dialect)
    null_part = "" if null_ok else f"{col} IS NULL OR "
    return f"{null_part}({col} IS NOT NULL AND ({bad}))", params


def _bounds(expr: str, low: Any, high: Any, dialect: SqlDialect) -> tuple[str, list[Any]]:
    parts, params = [], []
    for bound, op in ((low, "<"), (high, ">")):
        if bound is not None:
            sql, ps = dialect.bind(bound)
            parts.append(f"{expr} {op} {sql}")
            params += ps
    return " OR ".join(parts), params


def _date_format(text: str, fmt: str, dialect: SqlDialect) -> tuple[str, list[Any]]:
    if fmt == "iso_date":
        return dialect.not_iso_date(text)
    if fmt == "iso_datetime":
        return dialect.not_iso_datetime(text)
    if "%" not in fmt:
        for token, code in _TOKENS:
            fmt = fmt.replace(token, code)
    return dialect.not_strptime(text, fmt)
