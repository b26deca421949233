"""Typed structs for manifest entries that are not part of the graph: ``disabled`` versions and
dbt ``unit_tests``. Lean on purpose (identity and test fields only); no I/O, no platform.
"""

from __future__ import annotations

from typing import Any

import msgspec

from dbt_armor.project.configs import DependsOn, TestMetadata, _Base
from dbt_armor.project.nodes import _Armored


class DisabledConfig(_Base):
    enabled: bool = False
    meta: dict[str, Any] | None = None
    tags: list[str] | str | None = None
    severity: str | None = None
    where: str | None = None
    warn_if: str | None = None
    error_if: str | None = None


class DisabledNode(_Armored, kw_only=True):
    """One version of a disabled entry from ``manifest.disabled`` (any resource type).

    Only identity and the fields a test needs are read, so the many shapes dbt writes there
    (models, sources, exposures, unit tests...) all decode.
    """

    unique_id: str
    resource_type: str
    name: str = ""
    package_name: str = ""
    original_file_path: str = ""
    config: DisabledConfig = msgspec.field(default_factory=DisabledConfig)
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)
    test_metadata: TestMetadata | None = None
    attached_node: str | None = None
    column_name: str | None = None

    def _config_layers(self) -> tuple[Any, Any]:
        return self.config.meta, self.config.tags

    @property
    def severity(self) -> str:
        return (self.config.severity or "error").strip().lower()


class UnitTestConfig(_Base):
    enabled: bool = True
    meta: dict[str, Any] | None = None
    tags: list[str] | str | None = None


class UnitTest(_Armored, kw_only=True):
    """A dbt unit test from ``manifest.unit_tests``: identity and the model it exercises only
    (its ``given``/``expect`` fixture rows are skipped while decoding)."""

    unique_id: str
    resource_type: str = "unit_test"
    name: str = ""
    package_name: str = ""
    model: str | None = None
    original_file_path: str = ""
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)
    config: UnitTestConfig = msgspec.field(default_factory=UnitTestConfig)

    def _config_layers(self) -> tuple[Any, Any]:
        return self.config.meta, self.config.tags
