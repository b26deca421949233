"""Test DAG: the dbt-armor gate, then dbt on integration_project's copy, then a task that
records what the gate pushed to XCom. Configured by ARMOR_TEST_* environment variables."""

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from dbt_armor.integrations.airflow import ArmorFreshSensor, ArmorGateOperator

PROJECT = os.environ["ARMOR_TEST_PROJECT"]
DBT = os.environ["ARMOR_TEST_DBT"]
RECORD = Path(os.environ["ARMOR_TEST_RECORD"])
MODE = os.environ.get("ARMOR_TEST_MODE") or None
SENSOR = os.environ.get("ARMOR_TEST_SENSOR")


def record(ti: Any = None, **_: Any) -> None:
    gate = ti.xcom_pull(task_ids="armor_gate", key="armor_gate")
    RECORD.write_text(json.dumps(gate))


with DAG("armor_shop", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    gate = ArmorGateOperator(
        task_id="armor_gate",
        manifest_path=f"{PROJECT}/target/manifest.json",
        project_dir=PROJECT,
        command="run",
        mode=MODE,
    )
    dbt_run = BashOperator(
        task_id="dbt_run",
        bash_command=f"{DBT} run --project-dir {PROJECT} --profiles-dir {PROJECT} "
        + ArmorGateOperator.exclude_template(),
        env={"DBT_ARMOR_RESULTS": ArmorGateOperator.results_template()},
        append_env=True,
        cwd=PROJECT,
    )
    done = PythonOperator(task_id="record", python_callable=record, trigger_rule="all_done")
    if SENSOR:
        wait = ArmorFreshSensor(
            task_id="armor_wait",
            manifest_path=f"{PROJECT}/target/manifest.json",
            project_dir=PROJECT,
            command="run",
            poke_interval=1,
            timeout=float(SENSOR),
            deferrable=True,
        )
        wait >> gate
    gate >> dbt_run >> done
