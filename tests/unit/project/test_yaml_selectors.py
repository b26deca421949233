"""YAML selectors on the dbt-free path: dbt's precedence, set operators, graph keys, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dbt_armor.errors import UsageError
from dbt_armor.project.manifest import Manifest, decode_manifest
from dbt_armor.project.select import Selector, select_scope

FIXTURE = Path(__file__).parents[2] / "fixtures" / "manifests" / "integration_v12.json"
P = "model.armor_shop."
MARTS = {P + "fct_orders", P + "fct_daily_revenue", P + "dim_customers"}


def _manifest(**extra: dict[str, Any]) -> Manifest:
    doc = json.loads(FIXTURE.read_text())
    for name, body in extra.items():
        doc["selectors"][name] = {"name": name, **body}
    return decode_manifest(json.dumps(doc).encode())


def _models(manifest: Manifest, **kwargs: Any) -> set[str]:
    return set(Selector(manifest).select(resource_types=("model",), **kwargs))


def test_the_project_selectors_as_dbt_stores_them() -> None:
    m = _manifest()
    assert _models(m, selector="nightly") == {P + "stg_orders", P + "fct_daily_revenue"}
    # a union with an exclude part: marts minus the revenue rollup
    assert _models(m, selector="marts_without_revenue") == MARTS - {P + "fct_daily_revenue"}


def test_selector_wins_over_select_and_default_applies_only_without_flags() -> None:
    m = _manifest(staging={"default": True, "definition": "tag:staging"})
    staging = {P + "stg_orders", P + "stg_payments", P + "stg_customers"}
    assert _models(m) == staging
    assert _models(m, select=("fct_orders",)) == {P + "fct_orders"}
    assert _models(m, exclude=("tag:staging",)) == _models(_manifest()) - staging
    assert _models(m, select=("fct_orders",), selector="nightly") == {
        P + "stg_orders",
        P + "fct_daily_revenue",
    }
    assert select_scope(_manifest()) is None  # nothing limits sync without a default
    assert select_scope(m) == staging


def test_graph_keys_intersections_and_selector_references() -> None:
    m = _manifest(
        up={"definition": {"method": "fqn", "value": "fct_orders", "parents": True}},
        near={
            "definition": {
                "method": "fqn",
                "value": "stg_payments",
                "children": True,
                "children_depth": 1,
            }
        },
        both={
            "definition": {
                "intersection": [
                    {"method": "selector", "value": "up"},
                    {"tag": "staging"},
                    {"exclude": ["stg_orders"]},
                ]
            }
        },
        around={
            "definition": {
                "method": "fqn",
                "value": "int_order_payments",
                "childrens_parents": True,
            }
        },
    )
    up = _models(m, selector="up")
    assert up == {P + "fct_orders", P + "stg_orders", P + "int_order_payments", P + "stg_payments"}
    assert _models(m, selector="near") == {P + "stg_payments", P + "int_order_payments"}
    assert _models(m, selector="both") == {P + "stg_payments"}
    around = _models(m, selector="around")
    assert MARTS | {P + "stg_customers", P + "stg_orders"} <= around


@pytest.mark.parametrize(
    ("extra", "name", "message"),
    [
        ({}, "nope", "no YAML selector named 'nope'"),
        ({"loop": {"definition": {"method": "selector", "value": "loop"}}}, "loop", "itself"),
        ({"odd": {"definition": {"a": 1, "b": 2}}}, "odd", "expected method and value"),
        ({"bad": {"definition": {"method": "state", "value": "modified"}}}, "bad", "'state'"),
        (
            {
                "d1": {"default": True, "definition": "x"},
                "d2": {"default": True, "definition": "y"},
            },
            None,
            "several YAML selectors are default",
        ),
    ],
)
def test_bad_selectors_are_one_line_usage_errors(
    extra: dict[str, Any], name: str | None, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as info:
        _models(_manifest(**extra), selector=name)
    assert "\n" not in str(info.value)
