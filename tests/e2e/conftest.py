"""Shared e2e fixtures: one seeded and built copy of integration_project per test session."""

from __future__ import annotations

import pytest
from project_copy import DbtProject, copy_project


@pytest.fixture(scope="session")
def dbt_project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    """integration_project copied, deps installed, seeded and its models/snapshot built once.

    Shared by every e2e test that only reads it; tests that change it use ``.clone()``.
    """
    project = copy_project(tmp_path_factory.mktemp("armor_shop") / "armor_shop")
    project.dbt("deps")
    project.dbt("seed")  # the raw tables: sources do not depend on seeds in dbt's graph
    project.dbt(
        "build", "--exclude", "resource_type:test", "resource_type:unit_test", "resource_type:seed"
    )
    return project
