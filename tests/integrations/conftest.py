"""Orchestrator tests (Dagster, Airflow): run by ``make test-integrations`` in one virtualenv
per orchestrator; a module whose orchestrator is not importable is not collected, so the main
``make test`` skips this directory cleanly.

``shop`` is a copy of integration_project (seeded and parsed, not built) and an emulator that
reads its DuckDB warehouse on a loopback port.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(E2E))

from project_copy import REPO_ROOT, DbtProject, copy_project  # noqa: E402

collect_ignore = [
    name
    for name, module in (("test_dagster.py", "dagster_dbt"), ("test_airflow.py", "airflow"))
    if importlib.util.find_spec(module) is None
]

MODELS = (
    "stg_customers", "stg_orders", "stg_payments", "dim_customers", "fct_orders",
    "fct_daily_revenue", "dim_countries", "dim_dates",
)  # fmt: skip
AFFECTED_BY_ORDERS = {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}


def _load_raw() -> Any:
    path = REPO_ROOT / "integration_project" / "scripts" / "load_raw.py"
    spec = importlib.util.spec_from_file_location("armor_shop_load_raw", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Shop:
    project: DbtProject
    server: Any  # EmulatorServer

    def ages(self, **hours: float) -> None:
        """Make each raw table's newest row this many hours old (default 1)."""
        ages = {"customers": 1.0, "orders": 1.0, "payments": 1.0, **hours}
        _load_raw().refresh_raw_timestamps(self.project.db_path, ages)

    def drop_models(self) -> None:
        import duckdb

        with duckdb.connect(str(self.project.db_path)) as con:
            for name in MODELS:
                kind = "view" if name.startswith("stg_") else "table"
                con.execute(f"drop {kind} if exists main.{name}")

    def built(self) -> set[str]:
        import duckdb

        with duckdb.connect(str(self.project.db_path), read_only=True) as con:
            rows = con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        return {r[0] for r in rows} & set(MODELS)


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    import httpx

    from dbt_armor.emulator import EmulatorConfig, EmulatorServer

    project = copy_project(tmp_path_factory.mktemp("orchestrated") / "armor_shop")
    project.dbt("deps")
    project.dbt("seed")
    project.dbt("parse")
    cfg = EmulatorConfig(port=0, warehouse=project.db_path, seed=7, freshness_cache_seconds=0)
    server = EmulatorServer(cfg).start()
    manifest = json.loads(project.manifest_path.read_text())
    for ds in ("warehouse", "crm"):
        resp = httpx.post(f"{server.url}/_emulator/manifest?data_source={ds}", json=manifest)
        assert resp.status_code < 300, resp.text
    try:
        yield Shop(project, server)
    finally:
        server.stop()


@pytest.fixture()
def armor_env(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> str:
    """ARMOR_API_KEY / ARMOR_API_URL in the environment, as a deployment sets them."""
    from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

    monkeypatch.setenv("ARMOR_API_KEY", DEFAULT_READWRITE_KEY)
    monkeypatch.setenv("ARMOR_API_URL", shop.server.api_url)
    return DEFAULT_READWRITE_KEY
