"""The catalogue of dbt generic tests sync understands, each mapped to a rule shape (pure).

One small function per test: arguments in, a ``Mapped`` out (or ``NotMappable`` with the
reason). It must not look at test config, keys, names or the manifest beyond the arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dbt_armor.sync.specs import Kind


class NotMappable(Exception):
    """The test is known but these arguments cannot be expressed on the platform."""


@dataclass(frozen=True)
class Mapped:
    kind: Kind
    rule_type: str
    config: dict[str, Any] = field(default_factory=dict)
    column: str | None = None
    table_level: bool = False  # the rule has no column even if dbt gave one
    alert_threshold_percent: float | None = None
    treat_null_as_valid: bool | None = None
    parent_column: str | None = None
    notes: tuple[str, ...] = ()


Mapper = Callable[[Mapping[str, Any], str | None], Mapped]


def _need_column(column: str | None, test: str) -> str:
    if not column:
        raise NotMappable(f"{test} without a column cannot be mapped")
    return column


def _literal(value: Any) -> Any:
    """A ``quote: false`` value is SQL text: numbers become numbers, the rest stays text."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = str(value).strip()
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def _values(kwargs: Mapping[str, Any], name: str, quote: bool) -> list[Any]:
    values = kwargs.get(name)
    if not isinstance(values, (list, tuple)) or not values:
        raise NotMappable(f"{name} must be a non-empty list")
    return [str(v) for v in values] if quote else [_literal(v) for v in values]


def _bounds(lo: Any, hi: Any, lo_key: str, hi_key: str) -> dict[str, Any]:
    if lo is None and hi is None:
        raise NotMappable("neither a lower nor an upper bound is set")
    out: dict[str, Any] = {}
    if lo is not None:
        out[lo_key] = _literal(lo)
    if hi is not None:
        out[hi_key] = _literal(hi)
    return out


def not_null(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    return Mapped(Kind.VALIDITY, "NOT_NULL", column=_need_column(column, "not_null"))


def unique(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    return Mapped(Kind.VALIDITY, "UNIQUE", column=_need_column(column, "unique"))


def accepted_values(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    quote = kwargs.get("quote", True) is not False
    config = {"allowed_values": _values(kwargs, "values", quote)}
    return Mapped(Kind.VALIDITY, "ENUM", config, _need_column(column, "accepted_values"))


def relationships(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    parent = kwargs.get("field")
    if not parent:
        raise NotMappable("relationships without `field` cannot be mapped")
    return Mapped(
        Kind.REFERENTIAL,
        "REFERENTIAL",
        column=_need_column(column, "relationships"),
        parent_column=str(parent),
    )


def relationships_where(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    base = relationships(kwargs, column)
    notes = tuple(
        f"not carried: {name} `{kwargs[name]}` (referential checks have no condition field)"
        for name in ("from_condition", "to_condition")
        if kwargs.get(name) not in (None, "", "1=1")
    )
    return Mapped(
        base.kind, base.rule_type, column=base.column, parent_column=base.parent_column, notes=notes
    )


def accepted_range(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    config = _bounds(kwargs.get("min_value"), kwargs.get("max_value"), "min", "max")
    config["inclusive"] = kwargs.get("inclusive", True) is not False
    return Mapped(Kind.VALIDITY, "RANGE", config, _need_column(column, "accepted_range"))


def not_null_proportion(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    at_least = kwargs.get("at_least")
    if at_least is None:
        raise NotMappable("not_null_proportion without at_least cannot be mapped")
    notes: tuple[str, ...] = ()
    if kwargs.get("at_most") not in (None, 1, 1.0):
        notes = (f"not carried: at_most {kwargs['at_most']} (no upper null-share bound)",)
    threshold = round((1.0 - float(at_least)) * 100.0, 6)
    return Mapped(
        Kind.VALIDITY,
        "NOT_NULL",
        column=_need_column(column, "not_null_proportion"),
        alert_threshold_percent=threshold,
        notes=notes,
    )


def expression_is_true(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    expression = kwargs.get("expression")
    if not expression:
        raise NotMappable("expression_is_true without expression cannot be mapped")
    sql = f"{column} {expression}" if column else str(expression)
    # dbt keeps rows where `not (expr)` is true, so a NULL result passes: say so explicitly
    null_safe = f"coalesce(({sql}), TRUE)"
    return Mapped(Kind.VALIDITY, "CUSTOM_SQL", {"sql_expression": null_safe}, column=column)


TABLE = "__TABLE__"  # replaced by the tested table's path in translate


def unique_combination(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    """One column -> UNIQUE on it; several -> CUSTOM_SQL (the platform's UNIQUE has one column)."""
    columns = kwargs.get("combination_of_columns")
    if not isinstance(columns, (list, tuple)) or not columns:
        raise NotMappable("combination_of_columns must be a non-empty list")
    if len(columns) == 1:
        return Mapped(Kind.VALIDITY, "UNIQUE", column=str(columns[0]))
    cols = ", ".join(str(c) for c in columns)
    sql = (
        f"coalesce(({cols}) NOT IN (SELECT {cols} FROM {TABLE} "
        f"GROUP BY {cols} HAVING count(*) > 1), TRUE)"
    )
    return Mapped(Kind.VALIDITY, "CUSTOM_SQL", {"sql_expression": sql}, None, table_level=True)


def in_set(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    quote = kwargs.get("quote_values", True) is not False
    config = {"allowed_values": _values(kwargs, "value_set", quote)}
    return Mapped(Kind.VALIDITY, "ENUM", config, _need_column(column, "value_set"))


def between(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    config = _bounds(kwargs.get("min_value"), kwargs.get("max_value"), "min", "max")
    config["inclusive"] = not bool(kwargs.get("strictly", False))
    return Mapped(Kind.VALIDITY, "RANGE", config, _need_column(column, "between"))


def match_regex(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    regex = kwargs.get("regex")
    if not regex:
        raise NotMappable("regex is required")
    return Mapped(Kind.VALIDITY, "REGEX", {"pattern": str(regex)}, _need_column(column, "regex"))


def strftime(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    fmt = kwargs.get("strftime_format")
    if not fmt:
        raise NotMappable("strftime_format is required")
    config = {"format": str(fmt)}
    return Mapped(Kind.VALIDITY, "DATE_FORMAT", config, _need_column(column, "strftime"))


def lengths(kwargs: Mapping[str, Any], column: str | None) -> Mapped:
    config = _bounds(kwargs.get("min_value"), kwargs.get("max_value"), "min_length", "max_length")
    return Mapped(Kind.VALIDITY, "LENGTH", config, _need_column(column, "lengths"))


_EXP = "dbt_expectations"
CATALOGUE: dict[tuple[str | None, str], Mapper] = {
    (None, "not_null"): not_null,
    (None, "unique"): unique,
    (None, "accepted_values"): accepted_values,
    (None, "relationships"): relationships,
    ("dbt_utils", "accepted_range"): accepted_range,
    ("dbt_utils", "not_null_proportion"): not_null_proportion,
    ("dbt_utils", "expression_is_true"): expression_is_true,
    ("dbt_utils", "unique_combination_of_columns"): unique_combination,
    ("dbt_utils", "relationships_where"): relationships_where,
    (_EXP, "expect_column_values_to_not_be_null"): not_null,
    (_EXP, "expect_column_values_to_be_unique"): unique,
    (_EXP, "expect_column_values_to_be_in_set"): in_set,
    (_EXP, "expect_column_values_to_be_between"): between,
    (_EXP, "expect_column_values_to_match_regex"): match_regex,
    (_EXP, "expect_column_values_to_match_strftime_format"): strftime,
    (_EXP, "expect_column_value_lengths_to_be_between"): lengths,
}


def lookup(namespace: str | None, name: str) -> Mapper | None:
    """The mapper for a test; built-in tests may carry namespace ``None`` or ``"dbt"``."""
    ns = None if namespace in (None, "", "dbt") else namespace
    return CATALOGUE.get((ns, name))
