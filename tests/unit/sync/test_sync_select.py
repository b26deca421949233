"""Scoping a sync plan with simple dbt-style selectors."""

from __future__ import annotations

import pytest

from dbt_armor.errors import UsageError
from dbt_armor.project import Manifest
from dbt_armor.sync.select import select_nodes


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
    got = select_nodes(catalogue, select, exclude)
    assert (None if got is None else set(got)) == expected


def test_unknown_method_is_a_usage_error(catalogue: Manifest) -> None:
    with pytest.raises(UsageError, match="unsupported selector method 'state'"):
        select_nodes(catalogue, ("state:modified",), ())
