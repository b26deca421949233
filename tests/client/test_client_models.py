"""Tolerant reading of both response dialects: the seed docs' spellings and the SDK's."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dbt_armor.api.models import (
    Asset,
    FreshnessState,
    FreshnessStatus,
    FreshnessSummary,
    Job,
    LineageGraph,
    ReferentialCheck,
    ValidityRule,
    ValidityRuleCreate,
    canonical_rule_type,
)

SEED_STATUS = {
    "asset_id": "550e8400-e29b-41d4-a716-446655440000",
    "qualified_name": "snowflake.prod.warehouse.orders",
    "status": "stale",
    "is_fresh": False,
    "last_updated": "2024-12-04T10:30:00Z",
    "threshold_hours": 24,
    "hours_since_update": 30.5,
    "checked_at": "2024-12-05T17:00:00Z",
    "history": [{"checked_at": "2024-12-05T16:00:00Z", "status": "stale"}],
}
SDK_STATUS = {
    "asset_id": "550e8400-e29b-41d4-a716-446655440000",
    "qualified_name": "snowflake.prod.warehouse.orders",
    "status": "stale",
    "is_stale": True,
    "last_update_time": "2024-12-04T10:30:00Z",
    "staleness_threshold_hours": 24,
    "hours_since_update": 30.5,
    "checked_at": "2024-12-05T17:00:00Z",
    "some_future_field": {"x": 1},
}


@pytest.mark.parametrize("raw", [SEED_STATUS, SDK_STATUS], ids=["seed", "sdk"])
def test_freshness_status_reads_both_dialects_the_same(raw: dict[str, object]) -> None:
    s = FreshnessStatus.model_validate(raw)
    assert s.status is FreshnessState.STALE
    assert s.is_stale and not s.is_fresh
    assert s.threshold_hours == 24.0
    assert s.hours_since_update == 30.5
    assert s.last_updated == datetime(2024, 12, 4, 10, 30, tzinfo=timezone.utc)


def test_unknown_and_disabled_stay_distinct_and_odd_values_become_unknown() -> None:
    unknown = FreshnessStatus.model_validate({"status": "unknown"})
    disabled = FreshnessStatus.model_validate({"status": "disabled", "is_stale": False})
    odd = FreshnessStatus.model_validate({"status": "Warming_Up"})
    assert unknown.status is FreshnessState.UNKNOWN and not unknown.is_fresh
    assert disabled.status is FreshnessState.DISABLED and not disabled.is_fresh
    assert odd.status is FreshnessState.UNKNOWN and odd.status_raw == "Warming_Up"


def test_fractional_threshold_is_kept() -> None:
    assert FreshnessStatus.model_validate({"threshold_hours": 1.5}).threshold_hours == 1.5


def test_summary_both_spellings() -> None:
    seed = FreshnessSummary.model_validate(
        {"total_assets": 245, "fresh": 230, "stale": 10, "unknown": 5, "fresh_percentage": 93.9}
    )
    sdk = FreshnessSummary.model_validate(
        {
            "total_assets": 245,
            "fresh_count": 230,
            "stale_count": 10,
            "unknown_count": 5,
            "disabled_count": 0,
            "freshness_rate": 93.9,
        }
    )
    assert seed == sdk


def test_asset_web_and_sdk_shapes() -> None:
    web = Asset.model_validate(
        {"id": "u1", "qualified_name": "a.b.c.d", "schema": "c", "database": "b"}
    )
    sdk = Asset.model_validate(
        {
            "id": 7,
            "qualified_name": "pg.analytics",
            "database_name": "b",
            "source_type": "postgresql",
        }
    )
    assert web.schema_name == "c" and web.database == "b"
    assert sdk.id == "7" and sdk.database == "b" and sdk.source_type == "postgresql"


def test_validity_rule_ids_and_rule_type_spellings() -> None:
    sdk = ValidityRule.model_validate(
        {
            "id": 12,
            "uuid": "r-uuid",
            "rule_type": "allowed_values",
            "rule_config": {"values": ["a"]},
            "latest_status": "FAIL",
        }
    )
    seed = ValidityRule.model_validate({"id": "r-uuid", "rule_type": "ENUM", "rule_config": None})
    assert sdk.uuid == seed.uuid == "r-uuid"
    assert sdk.id == 12 and seed.id is None
    assert sdk.rule_type == seed.rule_type == "ENUM"
    assert sdk.rule_type_raw == "allowed_values" and sdk.latest_status == "fail"
    assert seed.rule_config == {}


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("not_null", "NOT_NULL"),
        ("regex_match", "REGEX"),
        ("range_bounds", "RANGE"),
        ("accepted_values", "ENUM"),
        ("format", "DATE_FORMAT"),
        ("custom", "CUSTOM_SQL"),
        ("length_bounds", "LENGTH"),
        ("Unique", "UNIQUE"),
        ("brand_new", "BRAND_NEW"),
    ],
)
def test_canonical_rule_types(raw: str, canonical: str) -> None:
    assert canonical_rule_type(raw) == canonical


def test_referential_check_reads_mcp_names() -> None:
    check = ReferentialCheck.model_validate(
        {
            "id": "c1",
            "source_table": "db.s.orders",
            "source_column": "customer_id",
            "target_table": "db.s.customers",
            "target_column": "id",
            "internal_id": 4,
        }
    )
    assert check.child_table_path == "db.s.orders" and check.parent_column_name == "id"


def test_request_models_are_strict_and_keep_the_callers_spelling() -> None:
    spec = ValidityRuleCreate(
        rule_type="allowed_values", table_path="t", rule_config={"values": [1]}
    )
    assert spec.payload() == {
        "rule_type": "allowed_values",
        "table_path": "t",
        "rule_config": {"values": [1]},
    }
    with pytest.raises(ValueError):
        ValidityRuleCreate(rule_type="x", table_path="t", colum_name="typo")  # type: ignore[call-arg]


def test_job_states() -> None:
    assert not Job.model_validate({"job_id": "j", "status": "pending"}).done
    done = Job.model_validate({"id": "j", "status": "completed", "result": {"is_fresh": True}})
    assert done.done and done.succeeded and done.job_id == "j"


def test_lineage_nested_tree_gets_edges_and_sdk_edges_are_kept() -> None:
    web = LineageGraph.model_validate(
        {
            "asset_id": "u",
            "qualified_name": "ds.db.mart.fct",
            "upstream": [
                {
                    "qualified_name": "ds.db.stg.orders",
                    "relationship": "derives_from",
                    "upstream": [{"qualified_name": "ds.db.raw.orders"}],
                }
            ],
            "downstream": [{"qualified_name": "ds.db.bi.dash"}],
        }
    )
    assert web.root is not None and web.root.qualified_name == "ds.db.mart.fct"
    assert {(e.source, e.target) for e in web.edges} == {
        ("ds.db.stg.orders", "ds.db.mart.fct"),
        ("ds.db.raw.orders", "ds.db.stg.orders"),
        ("ds.db.mart.fct", "ds.db.bi.dash"),
    }
    sdk = LineageGraph.model_validate(
        {
            "root": {"id": "1", "qualified_name": "a", "name": "a"},
            "edges": [{"source": "b", "target": "a", "edge_type": "data_flow"}],
        }
    )
    assert [(e.source, e.target) for e in sdk.edges] == [("b", "a")]
