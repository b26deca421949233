"""The small warehouse the emulator's probe tests build, the same on DuckDB and PostgreSQL, and
the validity rules run on it with the counts every warehouse must give."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from dbt_armor.emulator import EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

NOW = datetime.now(timezone.utc).replace(tzinfo=None)

# `?` placeholders; the PostgreSQL tests write them as %s
SETUP = (
    "CREATE SCHEMA raw",
    "CREATE TABLE raw.orders (id INT, customer_id INT, status TEXT, amount DOUBLE PRECISION,"
    ' code TEXT, day TEXT, "at" TEXT, loaded_at TIMESTAMP)',  # AT is a DuckDB keyword
    "CREATE TABLE raw.customers (id INT)",
    "INSERT INTO raw.customers VALUES (10), (11)",
    'CREATE TABLE raw."we""ird" (x INT, ts TIMESTAMP)',
    "CREATE TABLE raw.empty (ts TIMESTAMPTZ)",
)
INSERT_ORDER = "INSERT INTO raw.orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
ORDERS = (
    (1, 10, "placed", 5.0, "AB", "2024-01-01", "2024-01-01 10:00", NOW - timedelta(hours=30)),
    (2, 10, "shipped", 50.0, "ABC", "2024-02-30", "2024-01-01T25:00", NOW - timedelta(hours=3)),
    (3, 99, "weird", -1.0, "A1", "nope", "2024-02-29 23:59:59", NOW - timedelta(hours=5)),
    (3, None, None, None, None, None, None, NOW - timedelta(hours=6)),
)


def build(execute: Callable[[str, Sequence[Any]], object]) -> None:
    """Create the raw schema with ``execute(statement, params)`` on a fresh database."""
    for statement in SETUP:
        execute(statement, ())
    for row in ORDERS:
        execute(INSERT_ORDER, row)


def register(server: EmulatorServer, data_source: str, database: str) -> None:
    """Declare the tables (and one that does not exist) to the emulator."""
    st = server.state
    kw: dict[str, Any] = {"freshness_column": "loaded_at", "threshold_hours": 24}
    st.add_table(data_source, database, "raw", "orders", **kw)
    st.add_table(data_source, database, "raw", "customers")
    for table in ('we"ird', "empty", "ghost"):
        st.add_table(data_source, database, "raw", table, freshness_column="ts")


def newest_order_age() -> float:
    """Hours since the newest order: rows were stamped relative to NOW, taken at import, so a
    slow suite adds the time since."""
    return 3 + (datetime.now(timezone.utc).replace(tzinfo=None) - NOW).total_seconds() / 3600


def api(emu: EmulatorServer, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {DEFAULT_READWRITE_KEY}"}
    r = httpx.request(method, emu.api_url + path, headers=headers, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r.json()["data"]


def check(
    emu: EmulatorServer, source: str, rule: dict[str, Any], sample_limit: int = 10
) -> dict[str, Any]:
    """Create a validity rule on raw.orders (unless it names another table) and run it."""
    body = {"table_path": "raw.orders", "treat_null_as_valid": True, **rule}
    created = api(emu, "POST", f"/sdk/validity/{source}", json=body)
    path = f"/sdk/validity/{source}/{created['uuid']}/check"
    result: dict[str, Any] = api(emu, "POST", path, json={"sample_limit": sample_limit})
    return result


def make_rule(kind: str, column: str | None = None, **config: Any) -> dict[str, Any]:
    """A validity rule body: its type, column (if any) and rule_config."""
    rule: dict[str, Any] = {"rule_type": kind, "rule_config": config}
    if column:
        rule["column_name"] = column
    return rule


RULES = pytest.mark.parametrize(
    ("rule", "invalid"),
    [
        (make_rule("NOT_NULL", "status"), 1),
        (make_rule("unique", "id"), 2),
        (make_rule("ENUM", "status", allowed_values=["placed", "shipped"]), 1),
        (make_rule("ENUM", "status", values=["it's", "placed", "shipped", "weird"]), 0),
        (make_rule("range_bounds", "amount", min=0, max=10), 2),
        (make_rule("REGEX", "code", pattern="[A-Z]+"), 1),
        (make_rule("REGEX", "code", pattern="A|AB"), 2),  # alternation is anchored as a whole
        (make_rule("length_bounds", "code", max_length=2), 1),
        (make_rule("DATE_FORMAT", "day", format_type="iso_date"), 2),  # 2024-02-30 and "nope"
        (make_rule("DATE_FORMAT", "at", format_type="iso_datetime"), 1),  # hour 25
        (make_rule("DATE_FORMAT", "day", format="YYYY-MM-DD"), 2),
        (make_rule("CUSTOM_SQL", sql_expression="amount >= 0"), 2),
        (make_rule("CUSTOM_SQL", sql_expression="status LIKE '%e%' OR status IS NULL"), 0),
        (make_rule("NOT_NULL", "status", where="id < 3"), 0),
    ],
)


def assert_counts(result: dict[str, Any], rule: dict[str, Any], invalid: int) -> None:
    """The rule ran (no error) and counted ``invalid`` of the rows it read."""
    assert result["error_message"] is None, result
    assert result["invalid_count"] == invalid, result
    assert result["status"] == ("fail" if invalid else "pass")
    assert result["total_rows"] == (2 if "where" in rule["rule_config"] else 4)
    share = 100.0 * invalid / result["total_rows"]
    assert result["invalid_percent"] == pytest.approx(share, abs=1e-3)


def assert_orphans(emu: EmulatorServer, source: str) -> dict[str, Any]:
    """The referential check orders.customer_id -> customers.id finds the one orphan (99), and
    a check on a missing parent is an error; returns the check's body for more cases."""
    body = {
        "child_table_path": "raw.orders",
        "child_column_name": "customer_id",
        "parent_table_path": "raw.customers",
        "parent_column_name": "id",
    }
    chk = api(emu, "POST", f"/sdk/referential/{source}", json=body)
    res = api(emu, "POST", f"/sdk/referential/{source}/{chk['id']}/execute")
    assert (res["status"], res["orphan_count"], res["total_child_rows"]) == ("fail", 1, 4)
    assert res["orphan_sample"] == [99] and res["orphan_percent"] == 25.0
    missing = {**body, "parent_table_path": "raw.nope"}
    broken = api(emu, "POST", f"/sdk/referential/{source}", json=missing)
    failed = api(emu, "POST", f"/sdk/referential/{source}/{broken['id']}/execute")
    assert failed["status"] == "error"
    return body
