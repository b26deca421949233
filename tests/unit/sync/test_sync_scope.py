"""Scoping a sync plan: the one selector engine, with dbt's semantics and sources included."""

from __future__ import annotations

import pytest

from dbt_armor.errors import UsageError
from dbt_armor.project import Manifest
from dbt_armor.project.select import select_scope


@pytest.mark.parametrize(
    ("select", "exclude", "expected"),
    [
        ((), (), None),
        (("orders",), (), {"model.shop.orders"}),
        (("tag:core",), ("customers",), {"model.shop.orders"}),
        (("path:models/finance",), (), {"model.shop.payments"}),
        (("source:raw.orders",), (), {"source.shop.raw.orders"}),
        (("resource_type:seed orders_*",), (), {"seed.shop.country_codes",
                                                "snapshot.shop.orders_snapshot"}),
        (("package:shop",), ("resource_type:source resource_type:model",),
         {"seed.shop.country_codes", "snapshot.shop.orders_snapshot"}),
    ],
)  # fmt: skip
def test_selectors(
    catalogue: Manifest,
    select: tuple[str, ...],
    exclude: tuple[str, ...],
    expected: set[str] | None,
) -> None:
    got = select_scope(catalogue, select, exclude)
    assert (None if got is None else set(got)) == expected


def test_unknown_method_is_a_usage_error(catalogue: Manifest) -> None:
    with pytest.raises(UsageError, match="selector method 'state'"):
        select_scope(catalogue, ("state:modified",), ())


def test_graph_operators_and_intersections_follow_dbt(catalogue: Manifest) -> None:
    # +orders: the model and the source it reads; a bare name is an fqn, never a source
    assert select_scope(catalogue, ("+orders",)) == {"model.shop.orders", "source.shop.raw.orders"}
    assert select_scope(catalogue, ("raw",)) == frozenset()
    assert select_scope(catalogue, ("source:raw+",), ("source:raw.legacy",)) == {
        "source.shop.raw.customers",
        "source.shop.raw.orders",
        "source.shop.raw.payments",
        "model.shop.customers",
        "model.shop.orders",
    }
    assert select_scope(catalogue, ("tag:core,+source:raw.customers+",)) == {"model.shop.customers"}
