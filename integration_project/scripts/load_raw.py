"""Move the raw tables' `loaded_at` timestamps relative to a given time (demo and tests only).

It edits the DuckDB warehouse directly, standing in for a loader that keeps (or stops)
delivering data; it knows nothing of dbt-armor or of the platform.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

RAW_SCHEMA = "raw"
RAW_TABLES = ("customers", "orders", "payments")


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
    import duckdb

    current = now if now is not None else dt.datetime.now(dt.timezone.utc)
    if current.tzinfo is not None:
        current = current.astimezone(dt.timezone.utc).replace(tzinfo=None)
    newest: dict[str, dt.datetime] = {}
    con = duckdb.connect(str(db_path))
    try:
        for key, age in age_hours_by_table.items():
            table = key.split(".")[-1]
            if table not in RAW_TABLES:
                raise ValueError(f"unknown raw table {key!r}; expected one of {RAW_TABLES}")
            target = current - dt.timedelta(hours=float(age))
            relation = f'"{RAW_SCHEMA}"."{table}"'
            row = con.execute(f"select max(loaded_at) from {relation}").fetchone()
            if row is None or row[0] is None:
                continue
            shift = target - row[0]
            con.execute(
                f"update {relation} set loaded_at = loaded_at + ?::interval",
                [f"{shift.total_seconds()} seconds"],
            )
            newest[table] = target
    finally:
        con.close()
    return newest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db_path", help="path of the DuckDB warehouse file")
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
