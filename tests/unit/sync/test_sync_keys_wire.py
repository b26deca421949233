"""Ownership markers, spec hashes and the two request dialects."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sync_helpers import by_test_id

from dbt_armor.errors import ConfigError
from dbt_armor.sync.keys import description, format_marker, parse_marker, spec_hash
from dbt_armor.sync.request_bodies import check_dialect, create_payload
from dbt_armor.sync.specs import Translation

T = "test.shop."


def test_marker_round_trips_through_a_description(translation: Translation) -> None:
    spec = by_test_id(translation, T + "not_null_orders_order_id.1")
    text = description(spec)
    assert text.splitlines()[-1] == format_marker(spec)
    marker = parse_marker(text)
    assert marker is not None
    assert (marker.key, marker.node_id, marker.spec_hash) == (
        spec.key,
        "model.shop.orders",
        spec_hash(spec),
    )


@pytest.mark.parametrize(
    "text",
    [None, "", "hand-written rule", "[dbt-armor key=x]", "[dbt-armor key=a node=b hash=zz]"],
)
def test_unmarked_descriptions_are_not_ours(text: str | None) -> None:
    assert parse_marker(text) is None


def test_hash_changes_only_with_what_patch_cannot_change(translation: Translation) -> None:
    spec = by_test_id(translation, T + "accepted_values_orders_status__placed__shipped.3")
    assert spec_hash(replace(spec, severity="info", notes=("x",))) == spec_hash(spec)
    assert spec_hash(replace(spec, config={"allowed_values": ["a"]})) != spec_hash(spec)
    assert spec_hash(replace(spec, column="other")) != spec_hash(spec)


def test_upper_dialect(translation: Translation) -> None:
    enum = by_test_id(translation, T + "accepted_values_orders_status__placed__shipped.3")
    body = create_payload(enum, "upper")
    assert body["rule_type"] == "ENUM"
    assert body["rule_config"] == {"allowed_values": ["placed", "shipped"]}
    assert body["name"] == "dbt: accepted_values orders.status"
    assert body["description"].endswith(format_marker(enum))
    assert body["severity"] == "critical" and body["table_path"] == "warehouse.main.orders"
    length = by_test_id(translation, T + "dbt_expectations_lengths_customers_country.22")
    assert create_payload(length, "upper")["rule_type"] == "length_bounds"


@pytest.mark.parametrize(
    ("test_id", "rule_type", "config"),
    [
        ("not_null_orders_order_id.1", "not_null", None),
        (
            "accepted_values_orders_status__placed__shipped.3",
            "allowed_values",
            {"values": ["placed", "shipped"]},
        ),
        (
            "dbt_utils_accepted_range_payments_amount.9",
            "range_bounds",
            {"min": 0, "max": 10000, "inclusive": False},
        ),
        ("dbt_expectations_regex_customers_email.20", "regex_match", {"pattern": "^[^@]+@[^@]+$"}),
        ("dbt_expectations_strftime_customers_signup.21", "format", {"format_type": "%Y-%m-%d"}),
        (
            "dbt_expectations_lengths_customers_country.22",
            "length_bounds",
            {"min_length": 2, "max_length": 2},
        ),
    ],
)
def test_backend_dialect(
    translation: Translation, test_id: str, rule_type: str, config: dict[str, object] | None
) -> None:
    body = create_payload(by_test_id(translation, T + test_id), "backend")
    assert body["rule_type"] == rule_type
    assert body.get("rule_config") == config


def test_referential_and_schedule_payloads(translation: Translation) -> None:
    ref = by_test_id(translation, T + "relationships_orders_customer_id__id__ref_customers_.6")
    body = create_payload(ref, "upper")
    assert body["child_table_path"] == "warehouse.main.orders"
    assert body["parent_table_path"] == "warehouse.main.customers"
    assert (body["child_column_name"], body["parent_column_name"]) == ("customer_id", "id")
    assert body["max_orphan_count"] == 10
    fresh = next(s for s in translation.specs if s.key == "source.shop.raw.orders::freshness")
    sched = create_payload(fresh, "upper")
    assert sched == {
        "asset_id": "warehouse",
        "table_path": "warehouse.raw.orders",
        "is_active": True,
        "check_interval": "1h",
        "expected_interval_hours": 24.0,
        "freshness_column": "loaded_at",
        "monitoring_mode": "explicit",
    }


def test_dialect_names_are_checked() -> None:
    assert check_dialect(" Backend ") == "backend"
    with pytest.raises(ConfigError, match="unknown sync dialect"):
        check_dialect("lower")


@pytest.mark.parametrize(
    ("hours", "interval"),
    [(0.5, "5m"), (7.9, "5m"), (8, "1h"), (24, "1h"), (48, "6h"), (192, "1d"), (56 * 24, "1w")],
)
def test_check_interval_gives_about_eight_checks_per_threshold(hours: float, interval: str) -> None:
    from dbt_armor.sync.freshness import check_interval

    assert check_interval(hours) == interval


@pytest.mark.parametrize(
    ("after", "hours"),
    [({"count": 90, "period": "minute"}, 1.5), ({"count": 2, "period": "day"}, 48.0),
     ({"count": None, "period": "day"}, None), ({"count": 1, "period": "fortnight"}, None)],
)  # fmt: skip
def test_threshold_hours(after: dict[str, object], hours: float | None) -> None:
    from dbt_armor.sync.freshness import hours as to_hours

    assert to_hours(after) == hours
