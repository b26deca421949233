"""Helpers for the dbt_armor macro tests: a throwaway DuckDB dbt project and a dbt runner.

Owns only test scaffolding (files, raw tables, subprocess calls); it asserts nothing itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from project_copy import DBT_EXECUTABLE

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = DBT_EXECUTABLE  # this virtualenv's dbt, or the one on PATH when dbt-core is elsewhere
PROJECT = "armor_macro_test"
DATABASE = "warehouse"

ORDERS_SOURCE = f"source.{PROJECT}.raw.orders"
CUSTOMERS_SOURCE = f"source.{PROJECT}.raw.customers"

_DBT_PROJECT = f"""
name: {PROJECT}
version: "1.0.0"
config-version: 2
profile: {PROJECT}
model-paths: ["models"]
on-run-start:
  - "{{{{ dbt_armor.gate_on_run_start() }}}}"
on-run-end:
  - "{{{{ dbt_armor.persist_results() }}}}"
"""

_PROFILES = f"""
{PROJECT}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{path}}"
      threads: 1
"""

_SOURCES = """
version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: orders
      - name: customers
      - name: not_gated
"""

_FRESH_HOOK = '{{ config(materialized="%s", pre_hook="{{ dbt_armor.require_fresh() }}") }}\n'

MODELS: dict[str, str] = {
    "stg_orders.sql": _FRESH_HOOK % "view" + "select * from {{ source('raw', 'orders') }}\n",
    "stg_customers.sql": _FRESH_HOOK % "view" + "select * from {{ source('raw', 'customers') }}\n",
    "eph_orders.sql": '{{ config(materialized="ephemeral") }}\n'
    "select * from {{ source('raw', 'orders') }}\n",
    "orders_via_ephemeral.sql": _FRESH_HOOK % "table" + "select * from {{ ref('eph_orders') }}\n",
    "fct_orders.sql": '{{ config(materialized="table") }}\n'
    "select o.id, c.name from {{ ref('stg_orders') }} o\n"
    "join {{ ref('stg_customers') }} c on c.id = o.customer_id\n",
    "customers_warned.sql": "{{ config(materialized='table', pre_hook=\"{{ "
    "dbt_armor.require_fresh(source('raw', 'orders'), severity='warn') }}\") }}\n"
    "select * from {{ ref('stg_customers') }}\n",
    "inc_orders.sql": "{{ config(materialized='incremental', unique_key='id') }}\n"
    "select * from {{ source('raw', 'orders') }}\n"
    "where updated_at <=\n"
    "  {{ dbt_armor.last_updated(source('raw', 'orders'), 'current_timestamp') }}\n"
    "{% if is_incremental() %}\n"
    "  and updated_at > (select max(updated_at) from {{ this }})\n"
    "{% endif %}\n",
    "freshness_probe.sql": """{{ config(materialized='table') }}
{%- set f = dbt_armor.freshness(source('raw', 'orders')) -%}
{%- set by_qn = dbt_armor.freshness('raw.customers') -%}
select
  '{{ f.status if f else "none" }}' as orders_status,
  '{{ f.outcome if f else "none" }}' as orders_outcome,
  {{ f.hours if f and f.hours is not none else 'null' }} as orders_hours,
  {{ f.threshold if f and f.threshold is not none else 'null' }} as orders_threshold,
  '{{ f.unique_id if f else "none" }}' as orders_unique_id,
  '{{ by_qn.unique_id if by_qn else "none" }}' as customers_by_qn,
  {{ dbt_armor.is_fresh(source('raw', 'customers')) }} as customers_fresh,
  {{ dbt_armor.is_fresh(source('raw', 'not_gated'), default=true) }} as not_gated_default,
  {{ dbt_armor.last_updated(source('raw', 'orders')) }} as orders_last_updated,
  {{ dbt_armor.last_updated(source('raw', 'not_gated')) }} as not_gated_last_updated,
  {{ dbt_armor.last_updated(source('raw', 'not_gated'), "cast('2000-01-01' as timestamp)") }}
    as not_gated_fallback,
  {{ dbt_armor.results().get('sources', {}) | length }} as result_count
""",
}


# Drives the portable default__ implementation on DuckDB, into its own schema.
PORTABLE_PERSIST = """{% macro persist_portable() %}
  {%- set relation = api.Relation.create(
      database=target.database, schema='portable', identifier='armor_gate_results') -%}
  {%- set rows = dbt_armor._results_rows(dbt_armor.results()) -%}
  {%- do dbt_armor.default__persist_results(relation, rows) -%}
{% endmacro %}
"""


@dataclass
class DbtRun:
    """Outcome of one dbt subprocess: exit code, raw output and parsed JSON log events."""

    rc: int
    output: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def messages(self) -> list[str]:
        return [str(e.get("info", {}).get("msg", "")) for e in self.events]

    def text(self) -> str:
        return "\n".join(self.messages()) + "\n" + self.output


def make_git_checkout(dest: Path) -> Path:
    """Copy only what a git install of the package needs (dbt_project.yml + macros/)."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "dbt_project.yml", dest / "dbt_project.yml")
    shutil.copytree(REPO_ROOT / "macros", dest / "macros")
    return dest


def write_project(project: Path, package_dir: Path) -> Path:
    """Write the throwaway dbt project that installs the package from `package_dir`."""
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(_DBT_PROJECT)
    (project / "profiles.yml").write_text(_PROFILES.format(path=project / f"{DATABASE}.duckdb"))
    (project / "packages.yml").write_text(f"packages:\n  - local: {package_dir}\n")
    (project / "models" / "sources.yml").write_text(_SOURCES)
    for name, sql in MODELS.items():
        (project / "models" / name).write_text(sql)
    (project / "macros").mkdir()
    (project / "macros" / "persist_portable.sql").write_text(PORTABLE_PERSIST)
    load_raw_tables(project / f"{DATABASE}.duckdb")
    return project


def load_raw_tables(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        con.execute(
            "create or replace table raw.orders as select * from (values "
            "(1, 10, timestamp '2026-11-25 10:00:00'), (2, 10, timestamp '2026-11-25 11:00:00'),"
            "(3, 20, timestamp '2026-11-25 11:30:00'), (4, 20, timestamp '2026-11-25 12:00:00'))"
            " t(id, customer_id, updated_at)"
        )
        con.execute(
            "create or replace table raw.customers as select * from (values "
            "(10, 'ada'), (20, 'grace')) t(id, name)"
        )
        con.execute("create or replace table raw.not_gated as select 1 as id")


def query(project: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(project / f"{DATABASE}.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def entry(
    qn: str,
    status: str,
    outcome: str | None,
    hours: float,
    threshold: float = 24.0,
    last_updated: str = "2026-11-25T11:30:00Z",
    reasons: list[str] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "qn": qn,
        "status": status,
        "hours": hours,
        "threshold": threshold,
        "last_updated": last_updated,
        "reasons": reasons or [],
    }
    if outcome is not None:
        data["outcome"] = outcome
    return data


def gate_results(
    sources: dict[str, dict[str, Any]], decision: str = "pass", mode: str = "block"
) -> dict[str, Any]:
    return {
        "version": 1,
        "decision": decision,
        "generated_at": "2026-11-25T13:00:00Z",
        "mode": mode,
        "sources": sources,
        "blocked_nodes": [],
    }


def results_env(results: dict[str, Any] | None, chunk_size: int | None = None) -> dict[str, str]:
    """The environment a wrapper would pass: compact JSON, optionally split into chunks."""
    if results is None:
        return {}
    text = json.dumps(results, separators=(",", ":"))
    if chunk_size is None:
        return {"DBT_ARMOR_RESULTS": text}
    parts = [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    env = {"DBT_ARMOR_RESULTS": json.dumps({"version": 1, "chunks": len(parts)})}
    env.update({f"DBT_ARMOR_RESULTS_{i}": part for i, part in enumerate(parts, start=1)})
    return env


def run_dbt(project: Path, args: list[str], env: dict[str, str] | None = None) -> DbtRun:
    """Run the dbt CLI in `project` with JSON logs; DBT_ARMOR_* comes only from `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_ARMOR_", "DBT_"))}
    base.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"})
    base.update(env or {})
    cmd = [DBT, "--log-format", "json", *args, "--project-dir", str(project)]
    cmd += ["--profiles-dir", str(project)]
    proc = subprocess.run(
        cmd, cwd=project, env=base, capture_output=True, text=True, timeout=240, check=False
    )
    events: list[dict[str, Any]] = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return DbtRun(proc.returncode, proc.stdout + proc.stderr, events)


def run_wrapper(project: Path, args: list[str], env: dict[str, str]) -> DbtRun:
    """Run the `dbt-armor` CLI in `project` (it gates, then runs dbt with DBT_ARMOR_RESULTS)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "ARMOR_"))}
    base.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", **env})
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt-armor")), *args],
        cwd=project,
        env=base,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return DbtRun(proc.returncode, proc.stdout + proc.stderr)
