"""Freshness, asset, job and schedule models, reading both the seed and the SDK spellings.

Response models are tolerant (armor-api.md D-3, D-4, D-6, D-12); request models are strict.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from dbt_armor.api.models.base import Strict, Tolerant, first_of, int_to_str


class FreshnessState(str, Enum):
    FRESH = "fresh"
    STALE = "stale"
    UNKNOWN = "unknown"
    DISABLED = "disabled"


class FreshnessStatus(Tolerant):
    """The platform's freshness answer for one table (seed or SDK shape)."""

    asset_id: str = ""
    qualified_name: str = ""
    status: FreshnessState = FreshnessState.UNKNOWN
    status_raw: str = ""
    is_stale: bool = False
    hours_since_update: float | None = None
    threshold_hours: float | None = None
    last_updated: datetime | None = None
    checked_at: datetime | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        raw = str(data.get("status") or "").strip().lower()
        known = {s.value for s in FreshnessState}
        out["status_raw"] = str(data.get("status") or "")
        out["status"] = raw if raw in known else FreshnessState.UNKNOWN.value
        if data.get("is_stale") is not None:
            out["is_stale"] = bool(data["is_stale"])
        elif data.get("is_fresh") is not None:
            out["is_stale"] = not bool(data["is_fresh"])
        else:
            out["is_stale"] = raw == FreshnessState.STALE.value
        out["threshold_hours"] = first_of(data, "staleness_threshold_hours", "threshold_hours")
        out["last_updated"] = first_of(data, "last_update_time", "last_updated")
        out["asset_id"] = int_to_str(data.get("asset_id") or data.get("id") or "")
        if not isinstance(data.get("history"), list):
            out["history"] = []
        return out

    @property
    def is_fresh(self) -> bool:
        return self.status is FreshnessState.FRESH and not self.is_stale


class FreshnessSummary(Tolerant):
    total_assets: int = 0
    fresh: int = Field(0, validation_alias=AliasChoices("fresh_count", "fresh"))
    stale: int = Field(0, validation_alias=AliasChoices("stale_count", "stale"))
    unknown: int = Field(0, validation_alias=AliasChoices("unknown_count", "unknown"))
    disabled: int = Field(0, validation_alias=AliasChoices("disabled_count", "disabled"))
    fresh_percentage: float | None = Field(
        None, validation_alias=AliasChoices("fresh_percentage", "freshness_rate")
    )
    by_source: dict[str, Any] = Field(default_factory=dict)


class Asset(Tolerant):
    """A table-level asset (seed/web docs) or a data-source connection (SDK)."""

    id: str = Field("", validation_alias=AliasChoices("id", "uuid", "asset_id"))
    qualified_name: str = ""
    name: str = ""
    asset_type: str | None = Field(None, validation_alias=AliasChoices("asset_type", "type"))
    source: str | None = None
    source_type: str | None = None
    database: str | None = Field(None, validation_alias=AliasChoices("database", "database_name"))
    schema_name: str | None = Field(None, validation_alias=AliasChoices("schema", "schema_name"))
    description: str | None = None
    is_active: bool = True
    table_count: int | None = None
    columns: list[dict[str, Any]] = Field(default_factory=list)
    tags: list[Any] = Field(default_factory=list)

    _coerce_id = field_validator("id", mode="before")(int_to_str)


TERMINAL_JOB_STATES = frozenset({"completed", "failed", "timed_out", "error", "cancelled"})


class Job(Tolerant):
    """A background job (freshness refresh, discovery, catalog sync)."""

    job_id: str = Field("", validation_alias=AliasChoices("job_id", "id"))
    status: str = "pending"
    asset_id: str | None = None
    workflow_name: str | None = None
    progress: float | None = None
    message: str | None = None
    error: Any = None
    result: dict[str, Any] | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None

    _coerce_ids = field_validator("job_id", "asset_id", mode="before")(int_to_str)

    @property
    def done(self) -> bool:
        return self.status.lower() in TERMINAL_JOB_STATES

    @property
    def succeeded(self) -> bool:
        return self.status.lower() == "completed"


class FreshnessSchedule(Tolerant):
    id: str = ""
    asset_id: str = ""
    table_path: str = ""
    check_interval: str | None = None
    freshness_column: str | None = None
    expected_interval_hours: float | None = None
    expected_update_time: str | None = None
    monitoring_mode: str | None = None
    is_active: bool = True
    last_check: datetime | None = None
    next_check: datetime | None = None
    created_at: datetime | None = None

    _coerce_ids = field_validator("id", "asset_id", mode="before")(int_to_str)


class FreshnessScheduleCreate(Strict):
    asset_id: str
    table_path: str
    check_interval: str = "1h"
    monitoring_mode: str = "auto_learn"
    is_active: bool = True
    expected_interval_hours: float | None = None
    freshness_column: str | None = None


class FreshnessScheduleUpdate(Strict):
    check_interval: str | None = None
    expected_interval_hours: float | None = None
    freshness_column: str | None = None
    monitoring_mode: str | None = None
    is_active: bool | None = None
