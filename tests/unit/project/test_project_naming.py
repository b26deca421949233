"""Qualified names: data-source choice, identifiers vs dbt names, case per adapter, quoting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dbt_armor.project import NameResolver, NamingError, decode_manifest, load_manifest
from dbt_armor.project.naming import ADAPTER_CASE, QualifiedName, default_data_source

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"


def _doc(name: str = "v11_snowflake.json") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return doc


def _resolver(doc: dict[str, Any], **kwargs: Any) -> NameResolver:
    return NameResolver(decode_manifest(json.dumps(doc).encode()), **kwargs)


def test_snowflake_folds_unquoted_parts_to_upper() -> None:
    r = NameResolver(load_manifest(FIXTURES / "v11_snowflake.json"))
    assert r.resolve("source.shop.raw.orders").full == "snowflake.ANALYTICS.RAW.ORDERS"
    # the source identifier is quoted in dbt: kept as written
    assert r.resolve("source.shop.raw.customers").full == "snowflake.ANALYTICS.RAW.Customers"
    # models use the alias, not the dbt name; a quoted model identifier is kept
    assert r.resolve("model.shop.stg_customers").identifier == "CUSTOMERS_CLEAN"
    assert r.resolve("model.shop.fct_orders").full == "snowflake.ANALYTICS.MARTS.Fct_Orders"
    assert r.resolve("seed.shop.country_codes").table_path == "ANALYTICS.SEEDS.COUNTRY_CODES"
    assert r.resolve("snapshot.shop.orders_snapshot").schema == "SNAPSHOTS"


def test_postgres_without_project_quoting_folds_to_lower() -> None:
    doc = _doc("v10_postgres.json")
    doc["sources"]["source.shop.raw.orders"]["identifier"] = "Orders"
    r = _resolver(doc)
    assert r.resolve("source.shop.raw.orders").full == "postgresql.analytics.raw.orders"
    assert r.resolve("source.shop.raw.customers").identifier == "Customers"


def test_duckdb_project_quoting_keeps_names_as_written() -> None:
    doc = _doc("v2_preview_duckdb.json")
    doc["nodes"]["model.shop.stg_orders"]["alias"] = "Stg_Orders"
    r = _resolver(doc)
    assert r.resolve("model.shop.stg_orders").full == "duckdb.analytics.analytics.Stg_Orders"
    # explicit case beats the project-wide default quoting, not a node's own quoting
    lower = _resolver(doc, case="lower")
    assert lower.resolve("model.shop.stg_orders").identifier == "stg_orders"
    assert lower.resolve("source.shop.raw.customers").identifier == "Customers"


@pytest.mark.parametrize(
    ("adapter", "expected"),
    [
        ("snowflake", "MyTable".upper()),
        ("postgres", "mytable"),
        ("redshift", "mytable"),
        ("duckdb", "mytable"),
        ("bigquery", "MyTable"),
        ("databricks", "MyTable"),
        ("spark", "MyTable"),
        ("sqlserver", "MyTable"),
        ("some_new_adapter", "MyTable"),
    ],
)
def test_case_table_per_adapter(adapter: str, expected: str) -> None:
    doc = _doc()
    doc["metadata"]["adapter_type"] = adapter
    doc["metadata"].pop("quoting", None)
    doc["sources"]["source.shop.raw.orders"]["identifier"] = "MyTable"
    name = _resolver(doc).resolve("source.shop.raw.orders")
    assert name.identifier == expected
    assert name.data_source == default_data_source(adapter)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("upper", "ANALYTICS.RAW.MYTABLE"),
        ("lower", "analytics.raw.mytable"),
        ("preserve", "analytics.raw.MyTable"),
    ],
)
def test_case_override(case: str, expected: str) -> None:
    doc = _doc()
    doc["sources"]["source.shop.raw.orders"]["identifier"] = "MyTable"
    assert _resolver(doc, case=case).resolve("source.shop.raw.orders").table_path == expected


def test_bad_case_mode_is_a_one_line_error() -> None:
    with pytest.raises(NamingError, match=r"naming\.case"):
        _resolver(_doc(), case="title")


def test_quoting_per_part() -> None:
    doc = _doc()
    doc["sources"]["source.shop.raw.orders"]["schema"] = "Raw_Zone"
    doc["sources"]["source.shop.raw.orders"]["quoting"] = {"database": None, "schema": True}
    name = _resolver(doc).resolve("source.shop.raw.orders")
    assert (name.database, name.schema, name.identifier) == ("ANALYTICS", "Raw_Zone", "ORDERS")


def test_data_source_precedence() -> None:
    doc = _doc()
    ds = {"prod": "wh_prod", "*": "wh_any"}
    # per-target setting, then "*", then the adapter default
    assert _resolver(doc, target="prod", data_sources=ds).default_source == "wh_prod"
    assert _resolver(doc, target="dev", data_sources=ds).default_source == "wh_any"
    assert _resolver(doc, target="dev", data_sources={"prod": "x"}).default_source == "snowflake"
    r = _resolver(doc, target="prod", data_sources=ds)
    assert r.resolve("source.shop.raw.orders").data_source == "wh_prod"
    # meta.armor.data_source on the source (set at source level, merged into the table)
    assert r.resolve("source.shop.raw.payments").data_source == "pay_ds"
    # ... and on a model
    assert r.resolve("model.shop.stg_customers").data_source == "model_ds"


def test_data_source_name_is_kept_as_configured() -> None:
    r = _resolver(_doc(), data_sources={"*": "Mixed_Case-DS"})
    assert r.resolve("source.shop.raw.orders").data_source == "Mixed_Case-DS"


def test_qualified_name_override_is_used_verbatim() -> None:
    r = _resolver(_doc(), data_sources={"*": "ignored"})
    name = r.resolve("source.shop.legacy.events")
    assert name == QualifiedName("legacy_ds", "LEGACY", "PUBLIC", "events")


def test_malformed_override_is_a_one_line_error() -> None:
    doc = _doc()
    doc["sources"]["source.shop.raw.orders"]["config"]["meta"] = {
        "armor": {"qualified_name": "only.three.parts"}
    }
    with pytest.raises(NamingError, match=r"source\.shop\.raw\.orders.*four dot-separated"):
        _resolver(doc).resolve("source.shop.raw.orders")


def test_tests_ephemeral_and_unknown_ids_have_no_name() -> None:
    r = _resolver(_doc())
    with pytest.raises(NamingError, match="ephemeral"):
        r.resolve("model.shop.int_joined")
    with pytest.raises(NamingError, match="test"):
        r.resolve("test.shop.unique_stg_orders_id.0a1b2c3d4e")
    with pytest.raises(NamingError, match="not found"):
        r.resolve("model.shop.nope")
    assert r.try_resolve("model.shop.int_joined") is None
    assert not r.is_mappable("model.shop.int_joined")
    assert r.is_mappable("source.shop.raw.orders")


def test_resolve_all() -> None:
    r = _resolver(_doc())
    every = r.resolve_all()
    assert "model.shop.int_joined" not in every
    assert not any(uid.startswith("test.") for uid in every)
    assert len(every) == 4 + 1 + 4 + 1  # sources, seed, models (no ephemeral), snapshot
    assert set(r.resolve_all(include_nodes=False)) == {
        uid for uid in every if uid.startswith("source.")
    }


def test_missing_database_asks_for_an_override() -> None:
    doc = _doc()
    doc["metadata"]["adapter_type"] = "spark"
    doc["sources"]["source.shop.raw.orders"]["database"] = None
    with pytest.raises(NamingError, match="qualified_name"):
        _resolver(doc).resolve("source.shop.raw.orders")


def test_every_case_rule_is_a_known_fold() -> None:
    assert set(ADAPTER_CASE.values()) <= {"upper", "lower", "preserve"}
    assert default_data_source(None) == "warehouse"
    assert default_data_source("postgres") == "postgresql"
