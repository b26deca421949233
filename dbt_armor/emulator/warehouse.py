"""The emulator's warehouse interface: newest freshness value, validity rule SQL and orphan
counts, written once over a small connection protocol; `open_warehouse` picks the backend.

Never mutates a warehouse. Backends: duckdb_warehouse.py (a file) and postgres.py (a URL).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from dbt_armor.emulator.rules import invalid_condition
from dbt_armor.emulator.sqldialect import SqlDialect
from dbt_armor.timestamps import parse_timestamp

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class WarehouseError(Exception):
    """A probe could not run (warehouse unreachable, table or column missing, bad SQL)."""


class Conn(Protocol):
    """One open read-only session: run a statement, get all its rows."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation(parts: list[str]) -> str:
    return ".".join(quote(p) for p in parts if p)


def is_postgres_url(spec: str | Path) -> bool:
    return isinstance(spec, str) and spec.startswith(POSTGRES_SCHEMES)


class Warehouse(ABC):
    """Read-only probes against one warehouse; subclasses supply sessions and a dialect."""

    dialect: SqlDialect

    @abstractmethod
    def _open(self) -> AbstractContextManager[Conn]:
        """A read-only session; raises WarehouseError when the warehouse cannot be reached."""

    @contextmanager
    def session(self) -> Iterator[Conn]:
        """A read-only session whose failures all surface as one-line WarehouseErrors."""
        with self._open() as conn:
            try:
                yield conn
            except WarehouseError:
                raise
            except Exception as exc:
                raise WarehouseError(first_line(exc)) from exc

    @abstractmethod
    def describe(self) -> str:
        """What the emulator prints for this warehouse (no password)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and temp files (the server calls this when it stops)."""

    def ping(self) -> None:
        """Raise WarehouseError unless a trivial query runs."""
        with self.session() as conn:
            conn.rows("SELECT 1")

    def _table(self, conn: Conn, parts: list[str]) -> str:
        """The quoted relation, dropping the database part if the warehouse uses another name."""
        full = relation(parts)
        try:
            conn.rows(f"SELECT 1 FROM {full} LIMIT 0")
            return full
        except Exception:
            if len(parts) < 3:
                raise
            short = relation(parts[-2:])
            conn.rows(f"SELECT 1 FROM {short} LIMIT 0")
            return short

    def newest(self, parts: list[str], column: str) -> datetime | None:
        """max(column) of the table as an aware UTC datetime; None for an empty table."""
        with self.session() as conn:
            rel = self._table(conn, parts)
            rows = conn.rows(f"SELECT max({quote(column)}) FROM {rel}")
        return to_utc(rows[0][0] if rows else None)

    def validity(self, parts: list[str], rule: dict[str, Any], sample_limit: int) -> dict[str, Any]:
        """Count rows violating ``rule`` (canonical type/config) and sample the bad values."""
        column = rule.get("column_name")
        cond, params = invalid_condition(
            rule.get("rule_type_canonical") or rule["rule_type"],
            quote(column) if column else None,
            rule["config"],
            bool(rule.get("treat_null_as_valid")),
            self.dialect,
        )
        where = rule.get("where")
        with self.session() as conn:
            rel = self._table(conn, parts)
            scope = f"({where})" if where else "TRUE"
            if "{rel}" in cond:
                cond = cond.replace("{rel}", rel).replace("{scope}", scope)
            total = conn.rows(f"SELECT count(*) FROM {rel} WHERE {scope}")[0][0]
            bad_sql = f"FROM {rel} WHERE {scope} AND ({cond})"
            invalid = conn.rows(f"SELECT count(*) {bad_sql}", params)[0][0]
            shown = quote(column) if column else "*"
            rows = conn.rows(f"SELECT {shown} {bad_sql} LIMIT {int(sample_limit)}", params)
        samples = [jsonable(r[0]) if column else [jsonable(v) for v in r] for r in rows]
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
        with self.session() as conn:
            c_rel, p_rel = self._table(conn, child), self._table(conn, parent)
            cc, pc = quote(child_col), quote(parent_col)
            scope = f"({where})" if where else "TRUE"
            total = conn.rows(f"SELECT count(*) FROM {c_rel} c WHERE {scope}")[0][0]
            orphan_sql = (
                f"FROM {c_rel} c WHERE {scope} AND c.{cc} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {p_rel} p WHERE p.{pc} = c.{cc})"
            )
            count = conn.rows(f"SELECT count(*) {orphan_sql}")[0][0]
            rows = conn.rows(f"SELECT DISTINCT c.{cc} {orphan_sql} LIMIT {int(sample_limit)}")
        sample = [jsonable(r[0]) for r in rows]
        return {"total_child_rows": int(total), "orphan_count": int(count), "orphan_sample": sample}


def open_warehouse(spec: str | Path) -> Warehouse:
    """A PostgreSQL URL (postgresql://...) or the path of a DuckDB file."""
    if is_postgres_url(spec):
        from dbt_armor.emulator.postgres import PostgresWarehouse

        return PostgresWarehouse(str(spec))
    from dbt_armor.emulator.duckdb_warehouse import DuckDBWarehouse

    return DuckDBWarehouse(Path(spec))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
