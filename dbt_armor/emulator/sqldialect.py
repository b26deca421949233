"""The few SQL spellings that differ between the emulator's warehouses (DuckDB, PostgreSQL):
how a value is bound, full-string regex matches and "is not a valid date/time" tests.

Pure text building; each method returns (SQL, parameters).
"""

from __future__ import annotations

import math
import re
from typing import Any

Sql = tuple[str, list[Any]]

_D2 = r"[0-9]{2}"
_ISO_DATE = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_ISO_TIME = r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?)?"
_ISO_ZONE = rf"(Z|[+-]{_D2}(:?{_D2})?)?"
_STRPTIME = {
    "%Y": "[0-9]{4}",
    "%m": "(0[1-9]|1[0-2])",
    "%d": "(0[1-9]|[12][0-9]|3[01])",
    "%H": "([01][0-9]|2[0-3])",
    "%M": "[0-5][0-9]",
    "%S": "[0-5][0-9]",
    "%%": "%",
}


class DuckDBDialect:
    """DuckDB: ``?`` parameters, regexp_full_match, try_cast and try_strptime."""

    name = "duckdb"

    def bind(self, value: Any) -> Sql:
        return "?", [value]

    def not_full_match(self, text: str, pattern: str) -> Sql:
        return f"NOT regexp_full_match({text}, ?)", [pattern]

    def not_iso_date(self, text: str) -> Sql:
        return f"NOT regexp_full_match({text}, ?) OR try_cast({text} AS DATE) IS NULL", [
            r"\d{4}-\d{2}-\d{2}"
        ]

    def not_iso_datetime(self, text: str) -> Sql:
        return f"try_cast({text} AS TIMESTAMP) IS NULL", []

    def not_strptime(self, text: str, fmt: str) -> Sql:
        return f"try_strptime({text}, ?) IS NULL", [fmt]


class PostgresDialect:
    """PostgreSQL: values inlined as literals (no driver placeholders, so a ``%`` in a rule's
    SQL stays literal), POSIX regexes, and calendar checks that never raise a cast error."""

    name = "postgres"

    def bind(self, value: Any) -> Sql:
        return literal(value), []

    def not_full_match(self, text: str, pattern: str) -> Sql:
        return f"NOT ({text} ~ {literal('^(?:' + pattern + ')$')})", []

    def not_iso_date(self, text: str) -> Sql:
        return self._calendar(text, _ISO_DATE), []

    def not_iso_datetime(self, text: str) -> Sql:
        return self._calendar(text, _ISO_DATE + _ISO_TIME + _ISO_ZONE), []

    def not_strptime(self, text: str, fmt: str) -> Sql:
        pattern = "".join(
            _STRPTIME.get(tok) or _unsupported(tok) if tok.startswith("%") else re.escape(tok)
            for tok in re.findall(r"%.|[^%]+|%", fmt)
        )
        if fmt.startswith("%Y-%m-%d"):
            return self._calendar(text, pattern), []
        return f"NOT ({text} ~ {literal('^' + pattern + '$')})", []

    @staticmethod
    def _calendar(text: str, pattern: str) -> str:
        """Invalid unless ``text`` matches and its leading YYYY-MM-DD is a real day."""
        y, m, d = (f"substr({text}, {a}, {n})::int" for a, n in ((1, 4), (6, 2), (9, 2)))
        last_day = f"extract(day from make_date({y}, {m}, 1) + interval '1 month - 1 day')"
        return (
            f"CASE WHEN NOT ({text} ~ {literal('^' + pattern + '$')}) THEN TRUE"
            f" WHEN substr({text}, 1, 4) = '0000' THEN TRUE ELSE {d} > {last_day} END"
        )


def literal(value: Any) -> str:
    """A PostgreSQL SQL literal for a JSON-ish rule value."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"rule value {value!r} is not a finite number")
        return repr(value)
    text = str(value)
    if "\x00" in text:
        raise ValueError("rule value contains a NUL character")
    return "'" + text.replace("'", "''") + "'"


def _unsupported(token: str) -> str:
    raise ValueError(f"date format directive {token} is not supported on PostgreSQL")


SqlDialect = DuckDBDialect | PostgresDialect
DUCKDB = DuckDBDialect()
POSTGRES = PostgresDialect()
