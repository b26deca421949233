"""Render rule specs as request bodies in the target server's dialect (pure).

``upper`` sends the web-docs names (NOT_NULL, ENUM with allowed_values…), ``backend`` the SDK
adapter names (not_null, allowed_values with values…). LENGTH is ``length_bounds`` in both
(the web docs have no length rule). Owns the mutable-field view used for diffing; no HTTP.
"""

from __future__ import annotations

from typing import Any, Literal

from dbt_armor.errors import ConfigError
from dbt_armor.sync.keys import description, display_name
from dbt_armor.sync.specs import Kind, RuleSpec

Dialect = Literal["upper", "backend"]
DIALECTS: tuple[str, ...] = ("upper", "backend")

# canonical type -> (upper name, backend name)
_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "NOT_NULL": ("NOT_NULL", "not_null"),
    "UNIQUE": ("UNIQUE", "unique"),
    "ENUM": ("ENUM", "allowed_values"),
    "RANGE": ("RANGE", "range_bounds"),
    "REGEX": ("REGEX", "regex_match"),
    "DATE_FORMAT": ("DATE_FORMAT", "format"),
    "CUSTOM_SQL": ("CUSTOM_SQL", "custom_sql"),
    "LENGTH": ("length_bounds", "length_bounds"),
}
# canonical config key -> backend key (only those that differ)
_BACKEND_KEYS = {"allowed_values": "values", "format": "format_type"}
VALIDITY_CHECK_INTERVAL = "daily"
REFERENTIAL_INTERVAL = "daily"


def check_dialect(value: str) -> Dialect:
    lowered = value.strip().lower()
    if lowered == "upper":
        return "upper"
    if lowered == "backend":
        return "backend"
    raise ConfigError(f"unknown sync dialect {value!r}", hint="use `upper` (default) or `backend`")


def rule_type_name(canonical: str, dialect: Dialect) -> str:
    upper, backend = _TYPE_NAMES.get(canonical, (canonical, canonical.lower()))
    return upper if dialect == "upper" else backend


def rule_config(spec: RuleSpec, dialect: Dialect) -> dict[str, Any]:
    config = dict(spec.config)
    if dialect == "backend":
        config = {_BACKEND_KEYS.get(k, k): v for k, v in config.items()}
    return config


def mutable_fields(spec: RuleSpec, known_hash: str | None = None) -> dict[str, Any]:
    """The fields a PATCH can change, as the desired state (compared with the remote)."""
    if spec.kind is Kind.VALIDITY:
        return {
            "name": display_name(spec),
            "description": description(spec, known_hash),
            "severity": spec.severity,
            "alert_threshold_percent": spec.alert_threshold_percent,
            # None = the API default (false); remote.py reads a missing field the same way
            "treat_null_as_valid": bool(spec.treat_null_as_valid),
        }
    if spec.kind is Kind.REFERENTIAL:
        return {
            "name": display_name(spec),
            "description": description(spec, known_hash),
            "max_orphan_count": spec.max_orphan_count,
        }
    return {
        "check_interval": spec.check_interval,
        "expected_interval_hours": spec.expected_interval_hours,
        "freshness_column": spec.freshness_column,
        "monitoring_mode": "explicit",
    }


def create_payload(
    spec: RuleSpec, dialect: Dialect, mutable: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The POST body (``None`` values dropped); ``mutable`` = precomputed mutable_fields."""
    fields = mutable if mutable is not None else mutable_fields(spec)
    body: dict[str, Any]
    if spec.kind is Kind.VALIDITY:
        body = {
            "rule_type": rule_type_name(spec.rule_type, dialect),
            "table_path": spec.table_path,
            "column_name": spec.column,
            "rule_config": rule_config(spec, dialect) or None,
            "check_interval": VALIDITY_CHECK_INTERVAL,
            **fields,
        }
    elif spec.kind is Kind.REFERENTIAL:
        body = {
            "child_table_path": spec.table_path,
            "child_column_name": spec.column,
            "parent_table_path": spec.parent_table_path,
            "parent_column_name": spec.parent_column,
            "capture_interval": REFERENTIAL_INTERVAL,
            **fields,
        }
    else:
        body = {
            "asset_id": spec.data_source,
            "table_path": spec.table_path,
            "is_active": True,
            **fields,
        }
    return {k: v for k, v in body.items() if v is not None}


def patch_body(desired: dict[str, Any], remote: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that differ (``None`` included: the caller decides how to clear)."""
    return {k: v for k, v in desired.items() if not same(v, remote.get(k))}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return bool(a == b)
