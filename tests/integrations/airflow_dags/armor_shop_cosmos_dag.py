"""Test DAG: the dbt-armor gate as the first task in front of a cosmos DbtTaskGroup rendered
from the same manifest. Configured by ARMOR_TEST_* environment variables."""

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import LoadMode, TestBehavior

from dbt_armor.integrations.airflow import ArmorGateOperator

PROJECT = os.environ["ARMOR_TEST_PROJECT"]
DBT = os.environ["ARMOR_TEST_DBT"]
RECORD = Path(os.environ["ARMOR_TEST_RECORD"])
MANIFEST = f"{PROJECT}/target/manifest.json"


def record(ti: Any = None, **_: Any) -> None:
    RECORD.write_text(json.dumps(ti.xcom_pull(task_ids="armor_gate", key="armor_gate")))


with DAG("armor_shop_cosmos", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    gate = ArmorGateOperator(
        task_id="armor_gate", manifest_path=MANIFEST, project_dir=PROJECT, command="run"
    )
    models = DbtTaskGroup(
        group_id="shop",
        project_config=ProjectConfig(PROJECT, manifest_path=MANIFEST),
        profile_config=ProfileConfig(
            profile_name="armor_shop",
            target_name="dev",
            profiles_yml_filepath=f"{PROJECT}/profiles.yml",
        ),
        execution_config=ExecutionConfig(dbt_executable_path=DBT),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=["path:models"],
            test_behavior=TestBehavior.NONE,
        ),
        operator_args={
            "install_deps": False,
            "env": {"DBT_ARMOR_RESULTS": ArmorGateOperator.results_template()},
        },
    )
    done = PythonOperator(task_id="record", python_callable=record, trigger_rule="all_done")
    gate >> models >> done
