"""dbt's freshness period units (``warn_after: {count: 12, period: hour}``) in hours.

The one table of period units, read by the gate, sync and the emulator. Pure.
"""

from __future__ import annotations

from typing import Any

PERIOD_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


def period_hours(period: Any) -> float | None:
    """Hours in one ``period`` (any case, or an enum whose value is one), None when unknown."""
    return PERIOD_HOURS.get(str(getattr(period, "value", period)).strip().lower())


def threshold_hours(count: Any, period: Any) -> float | None:
    """``count`` periods in hours (``2, "day"`` -> 48.0); None when unset or the unit unknown."""
    if count is None or period is None:
        return None
    factor = period_hours(period)
    return None if factor is None else float(count) * factor
