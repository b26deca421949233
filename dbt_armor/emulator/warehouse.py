"""DuckDB probes: newest freshness value, validity rule SQL and orphan counts.

Opens the file read-only only for the duration of one probe, so dbt can write in between;
never mutates the warehouse. duckdb is imported lazily.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from dbt_armor.emulator.rules import invalid_condition
from dbt_armor.timestamps import parse_timestamp

LOCK_RETRIES = 5
LOCK_DELAY = 0.1


class WarehouseError(Exception):
    """A probe could not run (file locked, table or column missing, bad SQL)."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation(parts: list[str]) -> str:
    return ".".join(quote(p) for p in parts if p)


class Warehouse:
    """Runs read-only probes against one DuckDB file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import duckdb

        last: Exception | None = None
        for attempt in range(LOCK_RETRIES):
            try:
                conn = duckdb.connect(str(self.path), read_only=True)
                break
            except Exception as exc:  # duckdb raises IOException while a writer holds the lock
                last = exc
                time.sleep(LOCK_DELAY * (attempt + 1))
        else:
            raise WarehouseError(f"warehouse {self.path.name} is unavailable: {last}")
        try:
            yield conn
        except WarehouseError:
            raise
        except Exception as exc:
            raise WarehouseError(str(exc).splitlines()[0]) from exc
        finally:
            conn.close()

    def _table(self, conn: Any, parts: list[str]) -> str:
        """The quoted relation, dropping the database part if the file uses another name."""
        full = relation(parts)
        try:
            conn.execute(f"SELECT 1 FROM {full} LIMIT 0")
            return full
        except Exception:
            if len(parts) < 3:
                raise
            short = relation(parts[-2:])
            conn.execute(f"SELECT 1 FROM {short} LIMIT 0")
            return short

    def newest(self, parts: list[str], column: str) -> datetime | None:
        """max(column) of the table as an aware UTC datetime; None for an empty table."""
        with self.connect() as conn:
            rel = self._table(conn, parts)
            row = conn.execute(f"SELECT max({quote(column)}) FROM {rel}").fetchone()
        return to_utc(row[0] if row else None)

    def validity(self, parts: list[str], rule: dict[str, Any], sample_limit: int) -> dict[str, Any]:
        """Count rows violating ``rule`` (canonical type/config) and sample the bad values."""
        column = rule.get("column_name")
        cond, params = invalid_condition(
            rule.get("rule_type_canonical") or rule["rule_type"],
            quote(column) if column else None,
            rule["config"],
            bool(rule.get("treat_null_as_valid")),
        )
        where = rule.get("where")
        with self.connect() as conn:
            rel = self._table(conn, parts)
            scope = f"({where})" if where else "TRUE"
            if "{rel}" in cond:
                cond = cond.replace("{rel}", rel).replace("{scope}", scope)
            total = conn.execute(f"SELECT count(*) FROM {rel} WHERE {scope}").fetchone()[0]
            bad_sql = f"FROM {rel} WHERE {scope} AND ({cond})"
            invalid = conn.execute(f"SELECT count(*) {bad_sql}", params).fetchone()[0]
            shown = quote(column) if column else "*"
            rows = conn.execute(f"SELECT {shown} {bad_sql} LIMIT {int(sample_limit)}", params)
            samples = [
                jsonable(r[0]) if column else [jsonable(v) for v in r] for r in rows.fetchall()
            ]
        return {"total_rows": int(total), "invalid_count": int(invalid), "samples": samples}

    def orphans(
        self,
        child: list[str],
        child_col: str,
        parent: list[str],
        parent_col: str,
        sample_limit: int,
        where: str | None = None,
    ) -> dict[str, Any]:
        """Child rows whose non-null key has no parent row."""
        with self.connect() as conn:
            c_rel, p_rel = self._table(conn, child), self._table(conn, parent)
            cc, pc = quote(child_col), quote(parent_col)
            scope = f"({where})" if where else "TRUE"
            total = conn.execute(f"SELECT count(*) FROM {c_rel} c WHERE {scope}").fetchone()[0]
            orphan_sql = (
                f"FROM {c_rel} c WHERE {scope} AND c.{cc} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {p_rel} p WHERE p.{pc} = c.{cc})"
            )
            count = conn.execute(f"SELECT count(*) {orphan_sql}").fetchone()[0]
            rows = conn.execute(f"SELECT DISTINCT c.{cc} {orphan_sql} LIMIT {int(sample_limit)}")
            sample = [jsonable(r[0]) for r in rows.fetchall()]
        return {"total_child_rows": int(total), "orphan_count": int(count), "orphan_sample": sample}


def to_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str):
        return parse_timestamp(value)
    raise WarehouseError(f"freshness column holds {type(value).__name__}, not a timestamp")


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)
