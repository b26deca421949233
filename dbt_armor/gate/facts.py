"""Value types shared by the gate: per-source facts from the platform, reasons and outcomes.

Plain frozen dataclasses only; no I/O, no policy logic, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from dbt_armor.timestamps import parse_timestamp


class Level(str, Enum):
    """What a policy key does when its condition holds."""

    ERROR = "error"
    WARN = "warn"
    OFF = "off"

    @property
    def rank(self) -> int:
        return {"off": 0, "warn": 1, "error": 2}[self.value]


class Outcome(str, Enum):
    """Per-source and overall gate outcome."""

    PASS = "pass"
    WARN = "warn"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return {"pass": 0, "warn": 1, "block": 2}[self.value]


# Freshness states the gate knows; ``not_monitored`` is a 404 from the platform.
FRESHNESS_STATES = ("fresh", "stale", "unknown", "disabled", "not_monitored")


@dataclass(frozen=True)
class RuleFailure:
    """A validity rule or referential check on the table whose latest status is ``fail``."""

    kind: str  # "validity" | "referential"
    name: str
    severity: str  # info | warning | error | critical
    column: str | None = None
    detail: str | None = None
    invalid_count: int | None = None  # invalid rows (orphans for a referential check), if known
    invalid_percent: float | None = None


@dataclass(frozen=True)
class SourceFact:
    """What the platform says about one upstream table."""

    unique_id: str
    qualified_name: str
    status: str  # one of FRESHNESS_STATES
    hours_since_update: float | None = None
    threshold_hours: float | None = None
    last_updated: datetime | None = None
    checked_at: datetime | None = None
    failures: tuple[RuleFailure, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "unique_id": self.unique_id,
            "qualified_name": self.qualified_name,
            "status": self.status,
            "hours_since_update": self.hours_since_update,
            "threshold_hours": self.threshold_hours,
            "last_updated": _iso(self.last_updated),
            "checked_at": _iso(self.checked_at),
            "failures": [f.__dict__.copy() for f in self.failures],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceFact:
        return cls(
            unique_id=str(data["unique_id"]),
            qualified_name=str(data["qualified_name"]),
            status=str(data["status"]),
            hours_since_update=_float(data.get("hours_since_update")),
            threshold_hours=_float(data.get("threshold_hours")),
            last_updated=_parse_dt(data.get("last_updated")),
            checked_at=_parse_dt(data.get("checked_at")),
            failures=tuple(RuleFailure(**f) for f in data.get("failures") or ()),
        )


@dataclass(frozen=True)
class SourceInfo:
    """What the manifest says about one upstream source (input to the decision)."""

    unique_id: str
    qualified_name: str
    original_file_path: str | None = None
    dbt_warn_hours: float | None = None
    dbt_error_hours: float | None = None
    feeds: frozenset[str] = field(default_factory=frozenset)
    source_name: str | None = None  # dbt's name for it: ``<source>.<table>`` (shop.orders)

    @property
    def display(self) -> str:
        """The name a dbt user knows: ``shop.orders`` (from the unique_id when not given)."""
        if self.source_name:
            return self.source_name
        parts = self.unique_id.split(".", 2)
        return parts[2] if len(parts) == 3 and parts[0] == "source" else self.qualified_name


@dataclass(frozen=True)
class Reason:
    """One finding about a source: its level, a sentence and what to do about it."""

    key: str  # the policy key that produced it (stale, unknown, validity_error, ...)
    level: Level
    message: str
    hint: str

    def to_json(self) -> dict[str, str]:
        return {
            "key": self.key,
            "level": self.level.value,
            "message": self.message,
            "hint": self.hint,
        }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text.replace("+00:00", "Z")


def _parse_dt(value: Any) -> datetime | None:
    if not value:
        return None
    return parse_timestamp(str(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


iso = _iso
