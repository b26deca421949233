"""The copy of integration_project written for dbt-core 1.8/1.9 keeps every test, source
config and snapshot, in the spelling those versions parse (checked on the files; the support
matrix parses and builds them with real dbt)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from legacy_project import adapt_project
from project_copy import SOURCE_PROJECT


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(SOURCE_PROJECT / "models", dest / "models")
    shutil.copytree(SOURCE_PROJECT / "snapshots", dest / "snapshots")
    return dest


def _sources(project: Path) -> dict[str, Any]:
    doc = yaml.safe_load((project / "models" / "staging" / "_sources.yml").read_text())
    return {s["name"]: s for s in doc["sources"]}


def test_modern_dbt_gets_the_project_unchanged(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    assert adapt_project(project, (1, 10)) == []
    assert adapt_project(project, (1, 11)) == []
    assert "arguments:" in (project / "models" / "staging" / "_sources.yml").read_text()


def test_dbt_19_gets_flat_test_arguments_and_top_level_source_keys(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    changed = adapt_project(project, (1, 9))

    assert changed
    for yml in project.rglob("*.yml"):
        assert "arguments:" not in yml.read_text(), yml
    shop = _sources(project)["shop"]
    assert "config" not in shop
    assert shop["loaded_at_field"] == "loaded_at"
    assert shop["freshness"]["error_after"] == {"count": 24, "period": "hour"}
    orders = next(t for t in shop["tables"] if t["name"] == "orders")
    assert orders["meta"] == {"armor": {"stale": "error"}}
    customer_id = next(c for c in orders["columns"] if c["name"] == "customer_id")
    assert {"relationships": {"to": "source('crm', 'customers')", "field": "id"}} in customer_id[
        "data_tests"
    ]
    payments = next(t for t in shop["tables"] if t["name"] == "payments")
    order_id = next(c for c in payments["columns"] if c["name"] == "order_id")
    relation = order_id["data_tests"][0]["relationships"]
    assert relation == {
        "to": "source('shop', 'orders')",
        "field": "id",
        "config": {"severity": "warn"},
    }
    assert not list(project.glob("snapshots/*.sql"))  # YAML snapshots parse from 1.9


def test_dbt_18_gets_the_snapshot_as_a_sql_block(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    adapt_project(project, (1, 8))

    sql = (project / "snapshots" / "customers_snapshot.sql").read_text()
    assert sql.startswith("{% snapshot customers_snapshot %}")
    assert "target_schema='snapshots'" in sql and "unique_key='id'" in sql
    assert "select * from {{ source('crm', 'customers') }}" in sql
    doc = yaml.safe_load((project / "snapshots" / "customers_snapshot.yml").read_text())
    assert doc["snapshots"] == [
        {"name": "customers_snapshot", "description": "History of CRM customer rows."}
    ]
