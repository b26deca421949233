"""Runs one DAG of airflow_dags/ with ``dag.test()`` (a real DAG run against the sqlite
metadata database of AIRFLOW_HOME) and prints each task's final state as JSON."""

import importlib.util
import json
import sys

path, dag_id = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("armor_test_dag", path)
assert spec is not None and spec.loader is not None
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
dag = module.dag
assert dag.dag_id == dag_id, (dag.dag_id, dag_id)
run = dag.test()
states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
print("ARMOR_STATES " + json.dumps(states))
