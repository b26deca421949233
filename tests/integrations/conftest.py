"""Orchestrator tests (Dagster, Airflow): run by ``make test-integrations`` in one virtualenv
per orchestrator; a module whose orchestrator is not importable is not collected, so the main
``make test`` skips this directory cleanly.

``shop`` is a copy of integration_project (seeded and parsed, not built) and an emulator that
reads its DuckDB warehouse on a loopback port.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(E2E))

from project_copy import copy_project  # noqa: E402
from shop import AFFECTED_BY_ORDERS, MODELS, Shop, open_shop  # noqa: E402

__all__ = ["AFFECTED_BY_ORDERS", "MODELS", "Shop"]  # what the orchestrator tests import

collect_ignore = [
    name
    for name, module in (("test_dagster.py", "dagster_dbt"), ("test_airflow.py", "airflow"))
    if importlib.util.find_spec(module) is None
]


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    project = copy_project(tmp_path_factory.mktemp("orchestrated") / "armor_shop")
    project.dbt("deps")
    project.dbt("seed")
    project.dbt("parse")
    with open_shop(project, seed=7) as shop:
        yield shop


@pytest.fixture()
def armor_env(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> str:
    """ARMOR_API_KEY / ARMOR_API_URL in the environment, as a deployment sets them."""
    from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

    monkeypatch.setenv("ARMOR_API_KEY", DEFAULT_READWRITE_KEY)
    monkeypatch.setenv("ARMOR_API_URL", shop.server.api_url)
    return DEFAULT_READWRITE_KEY
