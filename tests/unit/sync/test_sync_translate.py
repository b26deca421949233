"""Translation of every supported dbt test and config into rule specs, over a manifest fixture."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sync_helpers import FIXTURES, by_test_id

from dbt_armor.errors import PlanError
from dbt_armor.project import Manifest, NameResolver
from dbt_armor.sync.specs import Kind, Translation
from dbt_armor.sync.translate import translate

T = "test.shop."

# test unique_id -> (rule_type, column, config, table_path)
VALIDITY_CASES: list[tuple[str, str, str | None, dict[str, Any], str]] = [
    ("not_null_orders_order_id.1", "NOT_NULL", "order_id", {}, "warehouse.main.orders"),
    ("unique_orders_order_id.2", "UNIQUE", "order_id", {}, "warehouse.main.orders"),
    (
        "accepted_values_orders_status__placed__shipped.3",
        "ENUM",
        "status",
        {"allowed_values": ["placed", "shipped"]},
        "warehouse.main.orders",
    ),
    (
        "accepted_values_orders_priority__1__2__3.5",
        "ENUM",
        "priority",
        {"allowed_values": [1, 2, 3.5, "'x'"]},
        "warehouse.main.orders",
    ),
    (
        "dbt_utils_accepted_range_payments_amount.9",
        "RANGE",
        "amount",
        {"min": 0, "max": 10000, "inclusive": False},
        "warehouse.finance.payments",
    ),
    (
        "dbt_utils_expression_is_true_payments_amount.11",
        "CUSTOM_SQL",
        "amount",
        {"sql_expression": "coalesce((amount >= 0), TRUE)"},
        "warehouse.finance.payments",
    ),
    (
        "dbt_utils_expression_is_true_payments.12",
        "CUSTOM_SQL",
        None,
        {"sql_expression": "coalesce((amount <= total), TRUE)"},
        "warehouse.finance.payments",
    ),
    (
        "dbt_utils_unique_combination_payments_single.13",
        "UNIQUE",
        "payment_id",
        {},
        "warehouse.finance.payments",
    ),
    (
        "dbt_utils_unique_combination_payments_pair.14",
        "CUSTOM_SQL",
        None,
        {
            "sql_expression": "coalesce((order_id, method) NOT IN (SELECT order_id, method FROM "
            "warehouse.finance.payments GROUP BY order_id, method HAVING count(*) > 1), TRUE)"
        },
        "warehouse.finance.payments",
    ),
    ("dbt_expectations_not_null_customers_id.16", "NOT_NULL", "id", {}, "warehouse.main.customers"),
    ("dbt_expectations_unique_customers_id.17", "UNIQUE", "id", {}, "warehouse.main.customers"),
    (
        "dbt_expectations_in_set_customers_tier.18",
        "ENUM",
        "tier",
        {"allowed_values": ["gold", "silver"]},
        "warehouse.main.customers",
    ),
    (
        "dbt_expectations_between_customers_age.19",
        "RANGE",
        "age",
        {"min": 18, "max": 120, "inclusive": False},
        "warehouse.main.customers",
    ),
    (
        "dbt_expectations_regex_customers_email.20",
        "REGEX",
        "email",
        {"pattern": "^[^@]+@[^@]+$"},
        "warehouse.main.customers",
    ),
    (
        "dbt_expectations_strftime_customers_signup.21",
        "DATE_FORMAT",
        "signup_date",
        {"format": "%Y-%m-%d"},
        "warehouse.main.customers",
    ),
    (
        "dbt_expectations_lengths_customers_country.22",
        "LENGTH",
        "country",
        {"min_length": 2, "max_length": 2},
        "warehouse.main.customers",
    ),
    ("unique_country_codes_code.28", "UNIQUE", "code", {}, "warehouse.main.country_codes"),
    (
        "not_null_orders_snapshot_id.29",
        "NOT_NULL",
        "id",
        {},
        "warehouse.snapshots.orders_snapshot",
    ),
]


@pytest.mark.parametrize(("test_id", "rule_type", "column", "config", "table"), VALIDITY_CASES)
def test_validity_mapping(
    translation: Translation,
    test_id: str,
    rule_type: str,
    column: str | None,
    config: dict[str, Any],
    table: str,
) -> None:
    spec = by_test_id(translation, T + test_id)
    assert spec.kind is Kind.VALIDITY
    assert (spec.rule_type, spec.column, dict(spec.config)) == (rule_type, column, config)
    assert (spec.data_source, spec.table_path) == ("warehouse", table)
    assert spec.severity == "critical"


def test_nulls_are_valid_except_for_not_null_rules(translation: Translation) -> None:
    """dbt's tests other than not_null skip NULL rows; the platform needs to be told so."""
    validity = [s for s in translation.specs if s.kind is Kind.VALIDITY]
    assert {s.rule_type for s in validity} >= {"NOT_NULL", "UNIQUE", "ENUM", "RANGE", "CUSTOM_SQL"}
    for spec in validity:
        assert spec.treat_null_as_valid is (spec.rule_type != "NOT_NULL"), spec.key
    others = [s for s in translation.specs if s.kind is not Kind.VALIDITY]
    assert others and all(s.treat_null_as_valid is None for s in others)


def test_not_null_proportion_becomes_an_alert_threshold(translation: Translation) -> None:
    spec = by_test_id(translation, T + "dbt_utils_not_null_proportion_payments_method.10")
    assert (spec.rule_type, spec.column, spec.alert_threshold_percent) == (
        "NOT_NULL",
        "method",
        5.0,
    )


def test_relationships_between_models(translation: Translation) -> None:
    spec = by_test_id(translation, T + "relationships_orders_customer_id__id__ref_customers_.6")
    assert spec.kind is Kind.REFERENTIAL
    assert (spec.table_path, spec.column) == ("warehouse.main.orders", "customer_id")
    assert (spec.parent_node_id, spec.parent_table_path, spec.parent_column) == (
        "model.shop.customers",
        "warehouse.main.customers",
        "id",
    )
    # error_if ">10" on a relationships test is an orphan-count allowance
    assert spec.max_orphan_count == 10
    assert spec.key == "model.shop.orders:customer_id:relationships"


def test_relationships_between_sources(translation: Translation) -> None:
    spec = by_test_id(translation, T + "source_relationships_raw_orders_customer_id.8")
    # depends_on lists the parent first: the tested node comes from the test's model argument
    assert spec.node_id == "source.shop.raw.orders"
    assert spec.parent_table_path == "warehouse.raw.customers"
    assert spec.key == "source.shop.raw.orders:customer_id:relationships"


def test_relationships_where_reports_the_condition(translation: Translation) -> None:
    spec = by_test_id(translation, T + "dbt_utils_relationships_where_payments_order_id.15")
    assert spec.kind is Kind.REFERENTIAL and spec.parent_table_path == "warehouse.main.orders"
    assert any("from_condition `amount > 0`" in n for n in spec.notes)
    assert any("from_condition" in w for w in translation.warnings)


def test_source_test_with_where_and_warn_severity(translation: Translation) -> None:
    spec = by_test_id(translation, T + "source_not_null_raw_orders_id.7")
    assert spec.node_id == "source.shop.raw.orders" and spec.table_path == "warehouse.raw.orders"
    assert spec.config == {"where": "loaded_at > '2020-01-01'"}
    assert spec.severity == "warning"


def test_count_thresholds_are_reported_not_dropped(translation: Translation) -> None:
    spec = by_test_id(translation, T + "not_null_payments_total.30")
    assert spec.alert_threshold_percent is None
    assert any("error_if `>100`" in n for n in spec.notes)
    assert any("warn_if `>5`" in n for n in spec.notes)


def test_meta_armor_key_and_severity_override(translation: Translation) -> None:
    spec = by_test_id(translation, T + "not_null_customers_name.27")
    assert (spec.key, spec.severity) == ("customers-name-present", "info")


def test_same_named_tests_are_told_apart_deterministically(
    catalogue: Manifest, translation: Translation
) -> None:
    a = by_test_id(translation, T + "accepted_values_orders_status__placed__shipped.3")
    b = by_test_id(translation, T + "accepted_values_orders_status__returned.4")
    assert a.key != b.key
    assert a.key.startswith("model.shop.orders:status:accepted_values~")
    assert b.severity == "warning"
    resolver = NameResolver(catalogue, target="dev", data_sources={"*": "warehouse"})
    again = translate(catalogue, resolver.resolve)
    assert [s.key for s in again.specs] == [s.key for s in translation.specs]
    assert any("share the key model.shop.orders:status" in w for w in translation.warnings)


def test_source_freshness_becomes_schedules(translation: Translation) -> None:
    orders = next(s for s in translation.specs if s.key == "source.shop.raw.orders::freshness")
    assert orders.kind is Kind.FRESHNESS and orders.table_path == "warehouse.raw.orders"
    assert (orders.expected_interval_hours, orders.warn_after_hours) == (24.0, 12.0)
    assert (orders.check_interval, orders.freshness_column) == ("1h", "loaded_at")
    customers = next(s for s in translation.specs if s.key.startswith("source.shop.raw.customers"))
    assert (customers.expected_interval_hours, customers.check_interval) == (0.5, "5m")
    assert customers.freshness_column is None and customers.notes


UNMAPPED = {
    T + "assert_positive_totals.23": "singular test",
    T + "my_custom_test_orders_total.24": "no mapping for generic test is_even",
    T + "mypkg_fancy_orders.25": "no mapping for generic test mypkg.fancy",
    T + "not_null_customers_email.26": "meta.armor.sync is false",
    "source.shop.raw.legacy": "meta.armor.sync is false",
}


def test_everything_else_is_listed_with_a_reason(translation: Translation) -> None:
    reasons = {u.unique_id: u.reason for u in translation.unmapped}
    for uid, reason in UNMAPPED.items():
        assert reason in reasons[uid]
    mapped = {s.test_id for s in translation.specs if s.test_id}
    raw = json.loads((FIXTURES / "sync_catalogue.json").read_text())
    tests = {t for t in [*raw["nodes"], *raw["disabled"]] if t.startswith("test.")}
    assert tests == mapped | {u for u in reasons if u.startswith("test.")}


def test_disabled_and_unit_tests_from_the_typed_manifest(translation: Translation) -> None:
    reasons = {u.unique_id: u.reason for u in translation.unmapped}
    assert reasons[T + "not_null_orders_legacy.31"] == "disabled (enabled: false)"
    assert "unit test" in reasons["unit_test.shop.orders.test_totals"]


def test_disabled_and_unit_tests_from_a_raw_manifest() -> None:
    raw = json.loads((FIXTURES / "sync_catalogue.json").read_text())

    class QN:
        data_source = "warehouse"
        table_path = "warehouse.main.x"

    result = translate(raw, lambda uid: QN())
    reasons = {u.unique_id: u.reason for u in result.unmapped}
    assert reasons[T + "not_null_orders_legacy.31"] == "disabled (enabled: false)"
    assert "unit test" in reasons["unit_test.shop.orders.test_totals"]


def test_duplicate_explicit_keys_are_a_plan_error() -> None:
    raw = json.loads((FIXTURES / "sync_catalogue.json").read_text())
    for uid in (T + "not_null_orders_order_id.1", T + "unique_orders_order_id.2"):
        raw["nodes"][uid]["config"]["meta"] = {"armor": {"key": "same"}}

    class QN:
        data_source = "warehouse"
        table_path = "warehouse.main.x"

    with pytest.raises(PlanError, match=r"duplicate meta\.armor\.key value"):
        translate(raw, lambda uid: QN())


def test_unresolvable_node_is_unmapped_not_fatal(catalogue: Manifest) -> None:
    resolver = NameResolver(catalogue, target="dev", data_sources={"*": "warehouse"})

    def resolve(uid: str) -> Any:
        if uid == "model.shop.payments":
            from dbt_armor.project import NamingError

            raise NamingError("payments: no table", hint="fix it")
        return resolver.resolve(uid)

    result = translate(catalogue, resolve)
    assert not [s for s in result.specs if s.node_id == "model.shop.payments"]
    assert any("cannot resolve" in u.reason for u in result.unmapped)
