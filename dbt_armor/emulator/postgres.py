"""PostgreSQL warehouse backend: one short read-only session per probe over psycopg2 (which
dbt-postgres installs; imported lazily). Relations use the connection's database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dbt_armor.emulator.sqldialect import POSTGRES
from dbt_armor.emulator.warehouse import Conn, Warehouse, WarehouseError, first_line

CONNECT_TIMEOUT = 10  # seconds
STATEMENT_TIMEOUT_MS = 60_000


class _PgConn:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if params:  # the PostgreSQL dialect inlines every value: a parameter is a bug
            raise WarehouseError("internal: PostgreSQL probes take no parameters")
        with self.conn.cursor() as cur:
            cur.execute(sql)  # no parameters: a '%' in a rule's SQL stays literal
            return list(cur.fetchall()) if cur.description else []


def masked(url: str) -> str:
    """The URL without its password, for display."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresWarehouse(Warehouse):
    """Read-only probes of one PostgreSQL database given by a postgresql:// URL."""

    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> str:
        return masked(self.url)

    def close(self) -> None:
        """Nothing to release: every probe opens and closes its own connection."""

    @contextmanager
    def _open(self) -> Iterator[Conn]:
        try:
            import psycopg2
        except ImportError:
            raise WarehouseError(
                "a PostgreSQL warehouse needs psycopg2: pip install 'dbt-armor[postgres]'"
            ) from None
        options = f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS}"
        try:
            conn = psycopg2.connect(self.url, connect_timeout=CONNECT_TIMEOUT, options=options)
        except Exception as exc:
            raise WarehouseError(
                f"warehouse {self.describe()} is unavailable: {first_line(exc)}"
            ) from None
        try:
            conn.autocommit = True  # a failed probe statement must not poison the next one
            yield _PgConn(conn)
        finally:
            conn.close()
