"""Move the raw tables' `loaded_at` timestamps relative to a given time (demo and tests only).

It edits the warehouse directly (a DuckDB file, or a PostgreSQL database given as a
postgresql:// URL), standing in for a loader that keeps (or stops) delivering data; it knows
nothing of dbt-armor or of the platform.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RAW_SCHEMA = "raw"
RAW_TABLES = ("customers", "orders", "payments")


Execute = Callable[[str, list[Any]], list[tuple[Any, ...]]]


@contextmanager
def _connect(db: str | Path) -> Iterator[Execute]:
    """A statement runner on the warehouse (``?`` placeholders), committing on success."""
    if str(db).startswith(("postgresql://", "postgres://")):
        import psycopg2

        pg = psycopg2.connect(str(db))
        try:
            with pg, pg.cursor() as cur:

                def run_pg(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
                    cur.execute(sql.replace("?", "%s"), params)
                    return list(cur.fetchall()) if cur.description else []

                yield run_pg
        finally:
            pg.close()
        return
    import duckdb

    con = duckdb.connect(str(db))
    try:
        yield lambda sql, params: list(con.execute(sql, params).fetchall())
    finally:
        con.close()


def refresh_raw_timestamps(
    db_path: str | Path,
    age_hours_by_table: Mapping[str, float],
    now: dt.datetime | None = None,
) -> dict[str, dt.datetime]:
    """Shift each named raw table's `loaded_at` so its newest row is `age` hours before `now`.

    Relative spacing between rows is kept. Keys are table names (`orders`) or `raw.orders`.
    `now` defaults to the current UTC time; timestamps are stored naive, in UTC.
    Returns the new newest `loaded_at` per table.
    """
    current = now if now is not None else dt.datetime.now(dt.timezone.utc)
    if current.tzinfo is not None:
        current = current.astimezone(dt.timezone.utc).replace(tzinfo=None)
    newest: dict[str, dt.datetime] = {}
    with _connect(db_path) as run:
        for key, age in age_hours_by_table.items():
            table = key.split(".")[-1]
            if table not in RAW_TABLES:
                raise ValueError(f"unknown raw table {key!r}; expected one of {RAW_TABLES}")
            target = current - dt.timedelta(hours=float(age))
            relation = f'"{RAW_SCHEMA}"."{table}"'
            row = run(f"select max(loaded_at) from {relation}", [])
            if not row or row[0][0] is None:
                continue
            shift = target - row[0][0]
            run(
                f"update {relation} set loaded_at = loaded_at + cast(? as interval)",
                [f"{shift.total_seconds()} seconds"],
            )
            newest[table] = target
    return newest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db_path", help="DuckDB warehouse file, or a postgresql:// URL")
    parser.add_argument(
        "ages",
        nargs="*",
        metavar="TABLE=HOURS",
        help="age of the newest row per table (default: every raw table 0.5 hours old)",
    )
    args = parser.parse_args(argv)
    ages = {t: 0.5 for t in RAW_TABLES}
    for item in args.ages:
        table, _, hours = item.partition("=")
        ages[table] = float(hours)
    for table, ts in refresh_raw_timestamps(args.db_path, ages).items():
        print(f"{RAW_SCHEMA}.{table}: newest loaded_at {ts:%Y-%m-%d %H:%M:%S} UTC")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
