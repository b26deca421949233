"""Typed structs for the small values inside manifest entries: configs, freshness thresholds,
quoting, dependencies, test metadata and checksums. No files, no HTTP, no platform.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Base(msgspec.Struct, forbid_unknown_fields=False):
    pass


class Threshold(_Base):
    count: int | None = None
    period: str | None = None

    @property
    def configured(self) -> bool:
        return self.count is not None and self.period is not None


class FreshnessRule(_Base):
    """A source's dbt freshness: warn/error thresholds. ``None`` thresholds are not configured."""

    warn_after: Threshold | None = None
    error_after: Threshold | None = None
    filter: str | None = None

    def __post_init__(self) -> None:
        if self.warn_after is not None and not self.warn_after.configured:
            self.warn_after = None
        if self.error_after is not None and not self.error_after.configured:
            self.error_after = None

    @property
    def configured(self) -> bool:
        return self.warn_after is not None or self.error_after is not None


class Quoting(_Base):
    database: bool | None = None
    schema: bool | None = None
    identifier: bool | None = None


class DependsOn(_Base):
    nodes: list[str] = msgspec.field(default_factory=list)


class TestMetadata(_Base):
    name: str = ""
    kwargs: dict[str, Any] = msgspec.field(default_factory=dict)
    namespace: str | None = None


class Checksum(_Base):
    name: str = ""
    checksum: str = ""


class NodeConfig(_Base):
    materialized: str | None = None
    enabled: bool = True
    meta: dict[str, Any] | None = None
    severity: str | None = None
    where: str | None = None
    warn_if: str | None = None
    error_if: str | None = None
    fail_calc: str | None = None
    tags: list[str] | str | None = None
    store_failures: bool | None = None
    quoting: Quoting | None = None


class SourceConfig(_Base):
    enabled: bool = True
    meta: dict[str, Any] | None = None
    freshness: FreshnessRule | None = None
    loaded_at_field: str | None = None
    tags: list[str] | str | None = None


class ExposureOwner(_Base):
    name: str | None = None
    email: str | None = None


class _MetaOnlyConfig(_Base):
    meta: dict[str, Any] | None = None
    enabled: bool = True
