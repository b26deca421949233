"""Rule SQL per warehouse dialect: PostgreSQL inlines values as safe literals (no driver
placeholders), DuckDB binds them; unsupported date directives are refused, not guessed."""

from __future__ import annotations

import math

import pytest

from dbt_armor.emulator.rules import invalid_condition
from dbt_armor.emulator.sqldialect import DUCKDB, POSTGRES, literal


@pytest.mark.parametrize(
    ("value", "sql"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (3, "3"),
        (2.5, "2.5"),
        ("it's", "'it''s'"),
        ("50%", "'50%'"),
        ("a\\b", "'a\\b'"),
    ],
)
def test_postgres_literals(value: object, sql: str) -> None:
    assert literal(value) == sql


@pytest.mark.parametrize("bad", [math.nan, math.inf, "nul\x00byte"])
def test_postgres_refuses_values_it_cannot_spell(bad: object) -> None:
    with pytest.raises(ValueError):
        literal(bad)


def test_same_rule_binds_on_duckdb_and_inlines_on_postgres() -> None:
    config = {"values": ["a", "b'c"]}
    duck_sql, duck_params = invalid_condition("ENUM", '"s"', config, True, DUCKDB)
    pg_sql, pg_params = invalid_condition("ENUM", '"s"', config, True, POSTGRES)
    assert duck_params == ["a", "b'c"] and duck_sql.count("?") == 2
    assert pg_params == [] and "?" not in pg_sql and "'b''c'" in pg_sql
    low, _ = invalid_condition("RANGE", '"n"', {"min": 1, "max": 9}, True, POSTGRES)
    assert '"n" < 1 OR "n" > 9' in low


def test_postgres_regex_is_anchored_around_the_whole_pattern() -> None:
    sql, params = invalid_condition("REGEX", '"c"', {"pattern": "a|b"}, True, POSTGRES)
    assert params == [] and "'^(?:a|b)$'" in sql


def test_unsupported_date_directive_is_refused_on_postgres() -> None:
    with pytest.raises(ValueError, match="%j"):
        invalid_condition("DATE_FORMAT", '"d"', {"format": "%Y-%j"}, True, POSTGRES)
    sql, _ = invalid_condition("DATE_FORMAT", '"d"', {"format": "%Y-%j"}, True, DUCKDB)
    assert "try_strptime" in sql
