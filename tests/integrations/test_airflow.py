"""Real Airflow DAG runs (``dag.test()`` on a sqlite metadata database in a temp AIRFLOW_HOME):
the dbt-armor gate operator, then ``dbt run`` on integration_project's copy, against the
emulator. Fresh builds everything; a stale source fails the gate task (reason in XCom) and
builds nothing; skip mode builds only unaffected models; the deferrable sensor waits.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import AFFECTED_BY_ORDERS, MODELS, Shop
from project_copy import DBT_EXECUTABLE

from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

HERE = Path(__file__).parent
DAG_FILE = HERE / "airflow_dags" / "armor_shop_dag.py"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow_home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAG_FILE.parent),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
    done = subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return env


def run_dag(
    shop: Shop,
    airflow_env: dict[str, str],
    tmp_path: Path,
    dag_file: Path = DAG_FILE,
    **test: str,
) -> Any:
    record = tmp_path / "xcom.json"
    env = {
        **airflow_env,
        "ARMOR_API_KEY": DEFAULT_READWRITE_KEY,
        "ARMOR_API_URL": shop.server.api_url,
        "ARMOR_TEST_PROJECT": str(shop.project.path),
        "ARMOR_TEST_DBT": DBT_EXECUTABLE,
        "ARMOR_TEST_RECORD": str(record),
        **{f"ARMOR_TEST_{k.upper()}": v for k, v in test.items()},
    }
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "airflow_driver.py"),
            str(dag_file),
            dag_file.stem.removesuffix("_dag"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    line = next((x for x in done.stdout.splitlines() if x.startswith("ARMOR_STATES ")), None)
    assert line is not None, output[-5000:]
    gate = json.loads(record.read_text()) if record.exists() else None
    return json.loads(line.split(" ", 1)[1]), gate, output


def test_fresh_sources_run_every_task(
    shop: Shop, airflow_env: dict[str, str], tmp_path: Path
) -> None:
    shop.ages()
    shop.drop_models()
    states, gate, out = run_dag(shop, airflow_env, tmp_path)
    assert states == {"armor_gate": "success", "dbt_run": "success", "record": "success"}, out
    assert gate["decision"] == "pass" and gate["exit_code"] == 0
    assert shop.built() == set(MODELS)
    assert DEFAULT_READWRITE_KEY not in out


def test_stale_source_fails_the_gate_task_with_the_reason_in_xcom(
    shop: Shop, airflow_env: dict[str, str], tmp_path: Path
) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    states, gate, out = run_dag(shop, airflow_env, tmp_path)
    assert states["armor_gate"] == "failed", out
    assert states["dbt_run"] == "upstream_failed"
    assert shop.built() == set()
    assert gate["decision"] == "block" and gate["exit_code"] == 3
    orders = next(s for s in gate["sources"] if s["unique_id"].endswith("shop.orders"))
    assert orders["outcome"] == "block"
    assert "is 40.0 h old" in orders["reasons"][0]["message"]
    assert "blocked by shop.orders" in out
    assert DEFAULT_READWRITE_KEY not in out


def test_skip_mode_runs_only_unaffected_models(
    shop: Shop, airflow_env: dict[str, str], tmp_path: Path
) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    states, gate, out = run_dag(shop, airflow_env, tmp_path, mode="skip")
    assert states == {"armor_gate": "success", "dbt_run": "success", "record": "success"}, out
    assert {s.rsplit(".", 1)[-1] for s in gate["skipped_selectors"]} == AFFECTED_BY_ORDERS
    assert shop.built() == set(MODELS) - AFFECTED_BY_ORDERS


def load_once_polled(shop: Shop, polls: int = 2, limit: float = 300.0) -> None:
    """The late loader: lands the data once the sensor has asked the platform ``polls`` times
    (each poke asks for a refresh of every gated table), or after ``limit`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        log = shop.server.app.request_log()
        if sum(1 for r in log if "orders" in r["path"] and "/refresh" in r["path"]) >= polls:
            break
        time.sleep(0.2)
    for attempt in range(50):  # the emulator's read-only probes hold the DuckDB file briefly
        try:
            shop.ages()
            return
        except Exception:
            time.sleep(0.1 * (attempt + 1))


def test_deferrable_sensor_waits_for_a_late_load(
    shop: Shop, airflow_env: dict[str, str], tmp_path: Path
) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    shop.server.app.clear_request_log()
    loader = threading.Thread(target=load_once_polled, args=(shop,))
    loader.start()
    try:
        states, gate, out = run_dag(shop, airflow_env, tmp_path, sensor="120")
    finally:
        loader.join()
    assert states["armor_wait"] == "success", out
    assert states["armor_gate"] == "success" and states["dbt_run"] == "success"
    assert gate["decision"] == "pass"
    assert "waiting for shop.orders" in out
    assert shop.built() == set(MODELS)


COSMOS_DAG = HERE / "airflow_dags" / "armor_shop_cosmos_dag.py"


@pytest.mark.skipif(
    importlib.util.find_spec("cosmos") is None, reason="astronomer-cosmos is not installed"
)
@pytest.mark.parametrize(("orders_age", "gate_state"), [(1.0, "success"), (40.0, "failed")])
def test_cosmos_task_group_behind_the_gate(
    shop: Shop, airflow_env: dict[str, str], tmp_path: Path, orders_age: float, gate_state: str
) -> None:
    shop.ages(orders=orders_age)
    shop.drop_models()
    states, gate, out = run_dag(shop, airflow_env, tmp_path, dag_file=COSMOS_DAG)
    assert states["armor_gate"] == gate_state, out
    group = {k: v for k, v in states.items() if k.startswith("shop.")}
    assert group, states
    if gate_state == "success":
        assert set(group.values()) == {"success"}, states
        assert shop.built() == set(MODELS)
    else:
        assert set(group.values()) == {"upstream_failed"}, states
        assert shop.built() == set() and gate["decision"] == "block"
