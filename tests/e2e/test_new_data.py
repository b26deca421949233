"""End to end: dbt's ``source_status:fresher+`` fed by the sources.json dbt-armor writes from
the platform, compared with the one ``dbt source freshness`` writes from the warehouse, and
``dbt-armor run --only-new-data`` building only what has new upstream data.

One clone of integration_project and one emulator reading its warehouse; tests run in order.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from project_copy import DbtProject
from shop import MODELS, Shop, explain, open_shop, refresh_raw_timestamps

from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e

SOURCELESS = {"dim_countries", "dim_dates"}


@dataclass
class NewData:
    """The shop with dbt's own ``source_status`` selection and ``run --only-new-data``."""

    shop: Shop

    @property
    def project(self) -> DbtProject:
        return self.shop.project

    @property
    def target(self) -> Path:
        return self.shop.target_dir

    def armor(self, *args: str, api_url: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.shop.armor(*args, api_url=api_url)

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
def shop(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewData]:
    project = dbt_project.clone(tmp_path_factory.mktemp("new_data") / "shop")
    refresh_raw_timestamps(project.db_path, {"customers": 2, "orders": 2, "payments": 2})
    with open_shop(project, seed=7, env={"ARMOR_TIMEOUT": "2"}) as shop:
        yield NewData(shop)


def test_platform_artifact_selects_what_dbt_source_freshness_selects(
    shop: NewData, tmp_path: Path
) -> None:
    shop.project.dbt("source", "freshness")
    prev_dbt = shop.keep_sources_json(tmp_path / "prev_dbt")
    done = shop.armor("freshness", "--write-sources")
    assert done.returncode == 0, explain(done)
    assert "0 warehouse queries" in " ".join(done.stdout.split())
    prev_armor = shop.keep_sources_json(tmp_path / "prev_armor")

    refresh_raw_timestamps(shop.project.db_path, {"orders": 1})  # new rows arrive in orders

    shop.project.dbt("source", "freshness")
    from_warehouse = shop.fresher_models(prev_dbt)
    done = shop.armor("freshness", "--write-sources")
    assert done.returncode == 0, explain(done)
    from_platform = shop.fresher_models(prev_armor)
    assert from_platform == from_warehouse
    assert from_platform == {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}
    written = json.loads((shop.target / "sources.json").read_text())
    assert written["metadata"]["dbt_schema_version"].endswith("/sources/v3.json")
    assert {r["status"] for r in written["results"]} == {"pass"}


@pytest.mark.slow  # make test-all; keeps make test near ten minutes
def test_only_new_data_builds_what_changed_and_keeps_state(shop: NewData, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = shop.run("--new-data-state", str(state))
    assert first.returncode == 0, explain(first)
    assert shop.built() == set(MODELS)  # no previous state: everything is built
    assert (state / "sources.json").is_file()

    refresh_raw_timestamps(shop.project.db_path, {"orders": 0.5})
    done = shop.run("--new-data-state", str(state))
    assert done.returncode == 0, explain(done)
    changed = {"stg_orders", "fct_orders", "fct_daily_revenue", "dim_customers"}
    assert shop.built() == changed | SOURCELESS
    gate = json.loads((shop.target / "armor_gate.json").read_text())
    assert gate["only_new_data"]["left_out_models"] == 2  # stg_customers, stg_payments
    assert "2 model(s) left out because nothing upstream changed" in " ".join(done.stdout.split())

    # The successful run became the state: nothing new since, so only source-less models run,
    # and with --sourceless skip nothing runs at all.
    again = shop.run("--new-data-state", str(state))
    assert again.returncode == 0, explain(again)
    assert shop.built() == SOURCELESS
    none = shop.run("--new-data-state", str(state), "--sourceless", "skip")
    assert none.returncode == 0, explain(none)
    assert shop.built() == set()


@pytest.mark.slow  # make test-all; keeps make test near ten minutes
def test_only_new_data_still_blocks_on_a_stale_source(shop: NewData, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = shop.run("--new-data-state", str(state))
    assert first.returncode == 0, explain(first)
    kept = (state / "sources.json").read_text()

    # orders gets new data, but payments (read by fct_orders) stopped arriving 30 h ago
    refresh_raw_timestamps(shop.project.db_path, {"orders": 0.2, "payments": 30})
    done = shop.run("--new-data-state", str(state))
    assert done.returncode == 3, explain(done)
    assert shop.built() == set()
    assert "shop.payments" in done.stdout
    assert (state / "sources.json").read_text() == kept  # a blocked run does not move the state

    # skip mode builds what does not read payments, but must not consume orders' new data
    # for the skipped fct_orders: the state stays, so the next run selects it again
    done = shop.run("--new-data-state", str(state), "--on-fail", "skip")
    assert done.returncode == 0, explain(done)
    assert shop.built() == {"stg_orders"} | SOURCELESS
    assert (state / "sources.json").read_text() == kept
    refresh_raw_timestamps(shop.project.db_path, {"payments": 0.2})


@pytest.mark.slow
def test_platform_down_fails_closed_or_builds_everything(shop: NewData, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = shop.run("--new-data-state", str(state))
    assert first.returncode == 0, explain(first)
    kept = (state / "sources.json").read_text()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/api/v1"
    done = shop.run("--new-data-state", str(state), "--deadline", "2", api_url=closed)
    assert done.returncode == 4, explain(done)
    assert shop.built() == set()
    args = ("--new-data-state", str(state), "--deadline", "2", "--on-api-error", "open")
    done = shop.run(*args, api_url=closed)
    assert done.returncode == 0, explain(done)
    assert shop.built() == set(MODELS)  # nothing could be narrowed: everything is built
    assert (state / "sources.json").read_text() == kept
    for path in [*shop.target.glob("*.json"), state / "sources.json"]:
        assert DEFAULT_READWRITE_KEY not in path.read_text()
