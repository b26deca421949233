"""The "shop": a copy of integration_project beside an emulator that reads its warehouse
(DuckDB file or PostgreSQL URL), driven with dbt-armor as a subprocess.

Shared by the e2e, orchestrator and PostgreSQL tests; importable wherever dbt_armor is
installed (the orchestrator virtualenvs too). Owns no assertion about behaviour.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from project_copy import REPO_ROOT, DbtProject

from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

if TYPE_CHECKING:
    from dbt_armor.emulator import EmulatorServer

MODELS = (
    "stg_customers", "stg_orders", "stg_payments", "dim_customers", "fct_orders",
    "fct_daily_revenue", "dim_countries", "dim_dates",
)  # fmt: skip
AFFECTED_BY_ORDERS = {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}
# the commands that hand --profiles-dir on to dbt (map, sync and lineage do not take it)
_PASS_PROFILES = frozenset({"run", "build", "gate", "freshness"})
# set by CI runners or a developer's shell; each changes what a command prints or reads
_DROPPED_ENV = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "ARMOR_NEW_DATA_STATE")


@functools.cache
def _load_raw() -> Any:
    """integration_project/scripts/load_raw.py (a script, not a package on sys.path)."""
    path = REPO_ROOT / "integration_project" / "scripts" / "load_raw.py"
    spec = importlib.util.spec_from_file_location("armor_shop_load_raw", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refresh_raw_timestamps(warehouse: str | Path, hours: Mapping[str, float]) -> None:
    """Make each named raw table's newest row this many hours old."""
    _load_raw().refresh_raw_timestamps(warehouse, hours)


def explain(done: subprocess.CompletedProcess[str]) -> str:
    """A failed command's exit code and the tail of its output, for an assertion message."""
    return f"exit {done.returncode}\nSTDOUT:\n{done.stdout[-3000:]}\nSTDERR:\n{done.stderr[-3000:]}"


@dataclass
class Shop:
    """A project copy, its warehouse and the emulator reading it."""

    project: DbtProject
    server: EmulatorServer
    warehouse: str | Path  # the DuckDB file, or a postgresql:// URL
    env: dict[str, str] = field(default_factory=dict)  # more environment for every command
    target: str | None = None  # --target for every dbt-armor command
    outputs: list[str] = field(default_factory=list)  # every stdout/stderr, for leak checks

    @property
    def target_dir(self) -> Path:
        return self.project.path / "target"

    def armor(
        self, *args: str, api_url: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``dbt-armor ARGS --project-dir P [--profiles-dir P] [--target T]`` on this shop."""
        full = self.project.env(
            {
                "ARMOR_API_KEY": DEFAULT_READWRITE_KEY,
                "ARMOR_API_URL": api_url or self.server.api_url,
                **self.env,
                **(env or {}),
            }
        )
        for name in _DROPPED_ENV:
            full.pop(name, None)
        argv = [sys.executable, "-m", "dbt_armor", *args, "--project-dir", str(self.project.path)]
        if args[0] in _PASS_PROFILES:
            argv += ["--profiles-dir", str(self.project.profiles_dir)]
        if self.target:
            argv += ["--target", self.target]
        done = subprocess.run(
            argv, cwd=self.project.path, env=full, capture_output=True, text=True, timeout=240
        )
        self.outputs += [done.stdout, done.stderr]
        return done

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        """Run one statement on the warehouse (committed); the rows it returns."""
        with _load_raw()._connect(self.warehouse) as run:
            return list(run(statement, []))

    def ages(self, **hours: float) -> None:
        """Make each raw table's newest row this many hours old (default 1)."""
        refresh_raw_timestamps(
            self.warehouse, {"customers": 1.0, "orders": 1.0, "payments": 1.0, **hours}
        )

    def drop_models(self) -> None:
        for name in MODELS:
            kind = "view" if name.startswith("stg_") else "table"
            self.sql(f"drop {kind} if exists main.{name} cascade")

    def built(self) -> set[str]:
        """The models that exist in the warehouse's main schema."""
        rows = self.sql(
            "select table_name from information_schema.tables where table_schema = 'main'"
        )
        return {r[0] for r in rows} & set(MODELS)


@contextmanager
def serving(
    project: DbtProject,
    warehouse: str | Path,
    *,
    seed: int,
    data_sources: tuple[str, ...] = ("warehouse", "crm"),
) -> Iterator[EmulatorServer]:
    """An emulator on a loopback port reading ``warehouse``, holding the project's manifest
    under each data source; stopped on exit."""
    import httpx

    from dbt_armor.emulator import EmulatorConfig, EmulatorServer

    cfg = EmulatorConfig(port=0, warehouse=warehouse, seed=seed, freshness_cache_seconds=0)
    server = EmulatorServer(cfg).start()
    try:
        manifest = json.loads(project.manifest_path.read_text())
        for ds in data_sources:
            resp = httpx.post(f"{server.url}/_emulator/manifest?data_source={ds}", json=manifest)
            assert resp.status_code < 300, resp.text
        yield server
    finally:
        server.stop()


@contextmanager
def open_shop(
    project: DbtProject,
    *,
    seed: int,
    warehouse: str | Path | None = None,
    data_sources: tuple[str, ...] = ("warehouse", "crm"),
    env: Mapping[str, str] | None = None,
    target: str | None = None,
) -> Iterator[Shop]:
    """A shop on ``project`` (its DuckDB file unless ``warehouse`` names another)."""
    where = project.db_path if warehouse is None else warehouse
    with serving(project, where, seed=seed, data_sources=data_sources) as server:
        yield Shop(project, server, where, dict(env or {}), target)
