"""Validity-rule and referential-check models (armor-api.md §2.3, §2.4, D-9, D-10, D-14).

Responses accept every known spelling; requests carry exactly what the caller chose to send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator

from dbt_armor.api.models.base import Strict, Tolerant, lower_or_none, str_or_none

# Every spelling seen for a rule type -> the canonical upper-case name.
RULE_TYPE_ALIASES: dict[str, str] = {
    "not_null": "NOT_NULL",
    "unique": "UNIQUE",
    "regex": "REGEX",
    "regex_match": "REGEX",
    "range": "RANGE",
    "range_bounds": "RANGE",
    "enum": "ENUM",
    "allowed_values": "ENUM",
    "accepted_values": "ENUM",
    "date_format": "DATE_FORMAT",
    "format": "DATE_FORMAT",
    "custom_sql": "CUSTOM_SQL",
    "custom": "CUSTOM_SQL",
    "length": "LENGTH",
    "length_bounds": "LENGTH",
}


def canonical_rule_type(raw: str) -> str:
    """``allowed_values`` / ``ENUM`` / ``accepted_values`` -> ``ENUM``, and so on."""
    key = raw.strip().lower()
    return RULE_TYPE_ALIASES.get(key, raw.strip().upper())


class _CheckResult(Tolerant):
    """What every rule or check run reports: string ids, a lower-case status, the error."""

    ID_KEYS: ClassVar[tuple[str, ...]] = ("id",)

    id: str | None = None
    status: str = "error"
    error_message: str | None = None
    checked_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise_result(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in cls.ID_KEYS:
                data[key] = str_or_none(data.get(key))
            data["status"] = str(data.get("status") or "error").lower()
        return data


class _ValidityTarget(Strict):
    rule_type: str
    table_path: str
    column_name: str | None = None
    rule_config: dict[str, Any] | None = None


class _ValiditySettings(BaseModel):
    """The optional fields a validity rule is created with and may later change."""

    name: str | None = None
    description: str | None = None
    severity: str | None = None
    treat_null_as_valid: bool | None = None
    check_interval: str | None = None
    alert_threshold_percent: float | None = None


class _Monitored(Tolerant):
    """What every rule or check reports about itself: active flag, lower-case status, creation."""

    is_active: bool = True
    latest_status: str | None = None
    created_at: datetime | None = None

    _lower_status = field_validator("latest_status", mode="before")(lower_or_none)


class ValidityRule(_ValiditySettings, _Monitored):
    uuid: str = ""
    id: int | None = None
    table_path: str = ""
    column_name: str | None = None
    rule_type: str = ""
    rule_type_raw: str = ""
    rule_config: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        raw_id = data.get("id")
        is_int = isinstance(raw_id, int) or (isinstance(raw_id, str) and raw_id.isdigit())
        out["id"] = int(raw_id) if is_int and raw_id is not None else None
        out["uuid"] = str_or_none(data.get("uuid")) or ("" if is_int else str_or_none(raw_id) or "")
        raw_type = str(data.get("rule_type") or "")
        out["rule_type_raw"] = raw_type
        out["rule_type"] = canonical_rule_type(raw_type) if raw_type else ""
        if not isinstance(data.get("rule_config"), dict):
            out["rule_config"] = {}
        return out


class ValidityRuleCreate(_ValiditySettings, _ValidityTarget):
    """POST body for a validity rule; ``rule_type`` is sent exactly as given."""

    error_message: str | None = None


class ValidityRuleUpdate(_ValiditySettings, Strict):
    is_active: bool | None = None


class ValiditySummary(Tolerant):
    total_rules: int = 0
    passing: int = Field(0, validation_alias=AliasChoices("passing", "passing_rules"))
    failing: int = Field(0, validation_alias=AliasChoices("failing", "failing_rules"))
    error: int = Field(0, validation_alias=AliasChoices("error", "error_rules", "errors"))


class ValidityCheckResult(_CheckResult):
    ID_KEYS = ("id", "validity_rule_id")

    validity_rule_id: str | None = None
    total_rows: int | None = None
    invalid_count: int | None = None
    invalid_percent: float | None = None
    invalid_samples: Any = None
    execution_duration_ms: int | None = None


_REFERENTIAL_ALIASES = {
    "source_table": "child_table_path",
    "source_column": "child_column_name",
    "target_table": "parent_table_path",
    "target_column": "parent_column_name",
}


class _ReferentialTarget(Strict):
    child_table_path: str
    child_column_name: str
    parent_table_path: str
    parent_column_name: str


class _ReferentialSettings(BaseModel):
    """The optional fields a referential check is created with and may later change."""

    capture_interval: str | None = None
    name: str | None = None
    description: str | None = None
    max_orphan_count: int | None = None
    max_orphan_percent: float | None = None
    min_child_count: int | None = None
    max_child_count: int | None = None


class ReferentialCheck(_ReferentialSettings, _Monitored):
    id: str = ""
    internal_id: int | None = None
    asset_id: str | None = None
    child_table_path: str = ""
    child_column_name: str = ""
    parent_table_path: str = ""
    parent_column_name: str = ""
    severity: str | None = None
    last_checked_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for alias, name in _REFERENTIAL_ALIASES.items():
            if out.get(name) is None and out.get(alias) is not None:
                out[name] = out[alias]
        out["id"] = str_or_none(data.get("id") or data.get("uuid")) or ""
        out["asset_id"] = str_or_none(data.get("asset_id"))
        return out


class ReferentialCheckCreate(_ReferentialSettings, _ReferentialTarget):
    pass


class ReferentialCheckUpdate(_ReferentialSettings, Strict):
    is_active: bool | None = None


class ReferentialSummary(Tolerant):
    total_checks: int = 0
    active_checks: int = 0
    passing_checks: int = Field(0, validation_alias=AliasChoices("passing_checks", "passing"))
    failing_checks: int = Field(0, validation_alias=AliasChoices("failing_checks", "failing"))
    last_check_at: datetime | None = None


class ReferentialCheckResult(_CheckResult):
    ID_KEYS = ("id", "referential_check_id")

    referential_check_id: str | None = None
    orphan_count: int | None = None
    orphan_percent: float | None = None
    total_child_rows: int | None = None
    orphan_sample: list[Any] | None = None
    query_duration_ms: int | None = None
