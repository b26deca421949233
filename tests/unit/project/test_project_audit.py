"""Diagnosis of names that do not resolve on the platform (pure)."""

from __future__ import annotations

from dbt_armor.project.audit import diagnose
from dbt_armor.project.naming import QualifiedName


def _qn(text: str) -> QualifiedName:
    return QualifiedName(*text.split("."))


KNOWN = [
    "wh.DB.RAW.ORDERS",
    "wh.DB.RAW.CUSTOMERS",
    "wh.DB.ANALYTICS_STAGING.STG_ORDERS",
    "wh.DB.MARTS.STG_PAYMENTS",
    "wh.DB.MARTS.RPT_LEGACY_V",
]


def test_each_cause_is_recognised() -> None:
    expected = {
        "source.p.raw.orders": _qn("wh.DB.RAW.ORDERS"),
        "source.p.raw.customers": _qn("wh.DB.RAW.Customers"),
        "source.p.raw.payments": _qn("pay.DB.RAW.PAYMENTS"),
        "model.p.stg_orders": _qn("wh.DB.ANALYTICS.STG_ORDERS"),
        "model.p.stg_payments": _qn("wh.DB.MARTS.PAYMENTS_CLEAN"),
        "model.p.rpt_legacy": _qn("wh.DB.MARTS.RPT_LEGACY"),
        "model.p.brand_new": _qn("wh.DB.MARTS.BRAND_NEW_TABLE_XYZ"),
    }
    dbt_names = {"model.p.stg_payments": "stg_payments"}
    found = {f.unique_id: f for f in diagnose(expected, KNOWN, dbt_names)}
    assert "source.p.raw.orders" not in found
    assert (found["source.p.raw.customers"].cause, found["source.p.raw.customers"].candidate) == (
        "case",
        "wh.DB.RAW.CUSTOMERS",
    )
    assert found["source.p.raw.payments"].cause == "missing_data_source"
    assert found["model.p.stg_orders"].cause == "custom_schema"
    assert found["model.p.stg_orders"].candidate == "wh.DB.ANALYTICS_STAGING.STG_ORDERS"
    assert found["model.p.stg_payments"].cause == "alias"
    assert found["model.p.stg_payments"].candidate == "wh.DB.MARTS.STG_PAYMENTS"
    assert found["model.p.rpt_legacy"].cause == "near_match"
    assert found["model.p.rpt_legacy"].candidate == "wh.DB.MARTS.RPT_LEGACY_V"
    assert found["model.p.brand_new"].cause == "not_found"
    assert found["model.p.brand_new"].candidate is None
    assert list(found) == sorted(found)
    assert all(f.hint for f in found.values())


def test_everything_resolves() -> None:
    expected = {"source.p.raw.orders": _qn("wh.DB.RAW.ORDERS")}
    assert diagnose(expected, KNOWN) == []


def test_empty_platform_means_missing_data_source() -> None:
    expected = {"source.p.raw.orders": _qn("wh.DB.RAW.ORDERS")}
    [finding] = diagnose(expected, [])
    assert finding.cause == "missing_data_source" and "'wh'" in finding.hint
