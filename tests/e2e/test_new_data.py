"""End to end: dbt's ``source_status:fresher+`` fed by the sources.json dbt-armor writes from
the platform, compared with the one ``dbt source freshness`` writes from the warehouse, and
``dbt-armor run --only-new-data`` building only what has new upstream data.

One clone of integration_project and one emulator reading its warehouse; tests run in order.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from project_copy import REPO_ROOT, DbtProject

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e

MODELS = (
    "stg_customers", "stg_orders", "stg_payments", "dim_customers", "fct_orders",
    "fct_daily_revenue", "dim_countries", "dim_dates",
)  # fmt: skip
SOURCELESS = {"dim_countries", "dim_dates"}


def _load_raw() -> Any:
    path = REPO_ROOT / "integration_project" / "scripts" / "load_raw.py"
    spec = importlib.util.spec_from_file_location("armor_shop_load_raw_new_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh_raw_timestamps = _load_raw().refresh_raw_timestamps


@dataclass
class Shop:
    project: DbtProject
    server: EmulatorServer

    @property
    def target(self) -> Path:
        return self.project.path / "target"

    def armor(self, *args: str, api_url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = self.project.env(
            {
                "ARMOR_API_KEY": DEFAULT_READWRITE_KEY,
                "ARMOR_API_URL": api_url or self.server.api_url,
                "ARMOR_TIMEOUT": "2",
            }
        )
        env.pop("ARMOR_NEW_DATA_STATE", None)
        argv = [sys.executable, "-m", "dbt_armor", *args]
        argv += ["--project-dir", str(self.project.path), "--profiles-dir", str(self.project.path)]
        return subprocess.run(
            argv, cwd=self.project.path, env=env, capture_output=True, text=True, timeout=240
        )

    def fresher_models(self, state: Path) -> set[str]:
        done = self.project.dbt(
            "ls", "--select", "source_status:fresher+", "--state", str(state),
            "--resource-type", "model", "--output", "name", "--quiet",
        )  # fmt: skip
        return {line.strip() for line in done.stdout.splitlines() if line.strip()}

    def keep_sources_json(self, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.target / "sources.json", dest / "sources.json")
        return dest

    def run(self, *args: str, api_url: str | None = None) -> subprocess.CompletedProcess[str]:
        """``dbt-armor run --only-new-data ...``; run_results.json is cleared first."""
        (self.target / "run_results.json").unlink(missing_ok=True)
        return self.armor("run", "--only-new-data", *args, api_url=api_url)

    def built(self) -> set[str]:
        """The models the last run executed (none when it did not run dbt)."""
        path = self.target / "run_results.json"
        if not path.is_file():
            return set()
        results = json.loads(path.read_text())["results"]
        names = {r["unique_id"].rsplit(".", 1)[-1] for r in results if r["status"] == "success"}
        return names & set(MODELS)


@pytest.fixture(scope="module")
def shop(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    project = dbt_project.clone(tmp_path_factory.mktemp("new_data") / "shop")
    refresh_raw_timestamps(project.db_path, {"customers": 2, "orders": 2, "payments": 2})
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


def _explain(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nSTDOUT:\n{done.stdout[-3000:]}\nSTDERR:\n{done.stderr[-3000:]}"


def test_platform_artifact_selects_what_dbt_source_freshness_selects(
    shop: Shop, tmp_path: Path
) -> None:
    shop.project.dbt("source", "freshness")
    prev_dbt = shop.keep_sources_json(tmp_path / "prev_dbt")
    done = shop.armor("freshness", "--write-sources")
    assert done.returncode == 0, _explain(done)
    assert "0 warehouse queries" in " ".join(done.stdout.split())
    prev_armor = shop.keep_sources_json(tmp_path / "prev_armor")

    refresh_raw_timestamps(shop.project.db_path, {"orders": 1})  # new rows arrive in orders

    shop.project.dbt("source", "freshness")
    from_warehouse = shop.fresher_models(prev_dbt)
    done = shop.armor("freshness", "--write-sources")
    assert done.returncode == 0, _explain(done)
    from_platform = shop.fresher_models(prev_armor)
    assert from_platform == from_warehouse
    assert from_platform == {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}
    written = json.loads((shop.target / "sources.json").read_text())
    assert written["metadata"]["dbt_schema_version"].endswith("/sources/v3.json")
    assert {r["status"] for r in written["results"]} == {"pass"}


@pytest.mark.slow  # make test-all; keeps make test near ten minutes
def test_only_new_data_builds_what_changed_and_keeps_state(shop: Shop, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = shop.run("--new-data-state", str(state))
    assert first.returncode == 0, _explain(first)
    assert shop.built() == set(MODELS)  # no previous state: everything is built
    assert (state / "sources.json").is_file()

    refresh_raw_timestamps(shop.project.db_path, {"orders": 0.5})
    done = shop.run("--new-data-state", str(state))
    assert done.returncode == 0, _explain(done)
    changed = {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}
    assert shop.built() == changed | SOURCELESS
    gate = json.loads((shop.target / "armor_gate.json").read_text())
    assert gate["only_new_data"]["left_out_models"] == 2  # stg_customers, stg_payments
    assert "2 model(s) left out because nothing upstream changed" in " ".join(done.stdout.split())

    # The successful run became the state: nothing new since, so only source-less models run,
    # and with --sourceless skip nothing runs at all.
    again = shop.run("--new-data-state", str(state))
    assert again.returncode == 0, _explain(again)
    assert shop.built() == SOURCELESS
    none = shop.run("--new-data-state", str(state), "--sourceless", "skip")
    assert none.returncode == 0, _explain(none)
    assert shop.built() == set()


@pytest.mark.slow  # make test-all; keeps make test near ten minutes
def test_only_new_data_still_blocks_on_a_stale_source(shop: Shop, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = shop.run("--new-data-state", str(state))
    assert first.returncode == 0, _explain(first)
    kept = (state / "sources.json").read_text()

    # orders gets new data, but payments (read by fct_orders) stopped arriving 30 h ago
    refresh_raw_timestamps(shop.project.db_path, {"orders": 0.2, "payments": 30})
    done = shop.run("--new-data-state", str(state))
    assert done.returncode == 3, _explain(done)
    assert shop.built() == set()
    assert "shop.payments" in done.stdout
    assert (state / "sources.json").read_text() == kept  # a blocked run does not move the state

    # skip mode builds what does not read payments, but must not consume orders' new data
    # for the skipped fct_orders: the state stays, so the next run selects it again
    done = shop.run("--new-data-state", str(state), "--on-fail", "skip")
    assert done.returncode == 0, _explain(done)
    assert shop.built() == {"stg_orders"} | SOURCELESS
    assert (state / "sources.json").read_text() == kept
    refresh_raw_timestamps(shop.project.db_path, {"payments": 0.2})


@pytest.mark.slow
def test_platform_down_fails_closed_or_builds_everything(shop: Shop, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = shop.run("--new-data-state", str(state))
    assert first.returncode == 0, _explain(first)
    kept = (state / "sources.json").read_text()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/api/v1"
    done = shop.run("--new-data-state", str(state), "--deadline", "5", api_url=closed)
    assert done.returncode == 4, _explain(done)
    assert shop.built() == set()
    args = ("--new-data-state", str(state), "--deadline", "5", "--on-api-error", "open")
    done = shop.run(*args, api_url=closed)
    assert done.returncode == 0, _explain(done)
    assert shop.built() == set(MODELS)  # nothing could be narrowed: everything is built
    assert (state / "sources.json").read_text() == kept
    for path in [*shop.target.glob("*.json"), state / "sources.json"]:
        assert DEFAULT_READWRITE_KEY not in path.read_text()
