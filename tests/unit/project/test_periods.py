"""The one table of dbt freshness period units."""

from __future__ import annotations

import enum

import pytest

from dbt_armor.project.periods import period_hours, threshold_hours


class Period(enum.Enum):
    DAY = "day"


@pytest.mark.parametrize(
    ("count", "period", "hours"),
    [(30, "minute", 0.5), (12, "hour", 12.0), (2, "DAY", 48.0), (1, Period.DAY, 24.0),
     (3, " Hour ", 3.0), (None, "hour", None), (2, None, None), (2, "week", None)],
)  # fmt: skip
def test_threshold_hours(count: int | None, period: object, hours: float | None) -> None:
    assert threshold_hours(count, period) == hours


def test_unknown_unit_is_none_so_each_caller_decides() -> None:
    assert period_hours("fortnight") is None and period_hours("minute") == pytest.approx(1 / 60)
