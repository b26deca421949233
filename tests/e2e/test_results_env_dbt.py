"""Gate results reach real dbt through the environment: chunked, without the API key, and
without forcing a full re-parse between runs with different results."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from project_copy import DBT_EXECUTABLE, DbtProject

from dbt_armor.dbt import make_invoker, results_env

pytestmark = pytest.mark.e2e
KEY = "aa_live_emulator_readwrite_000000000000000000000000"

PROBE = """{{ config(materialized='table') }}
{%- set ns = namespace(text='{}') -%}
{%- if execute -%}
  {%- set ns.text = env_var('DBT_ARMOR_RESULTS', '{}') -%}
  {%- set head = fromjson(ns.text) -%}
  {%- if head.chunks is defined -%}
    {%- set ns.text = '' -%}
    {%- for i in range(1, head.chunks + 1) -%}
      {%- set ns.text = ns.text ~ env_var('DBT_ARMOR_RESULTS_' ~ i) -%}
    {%- endfor -%}
  {%- endif -%}
{%- endif -%}
{%- set results = fromjson(ns.text) -%}
select
  {{ ns.text | length }} as results_chars,
  '{{ results.get("decision", "none") }}' as decision,
  {{ results.get("sources", {}) | length }} as source_count,
  '{{ env_var("ARMOR_API_KEY", "absent") if execute else "" }}' as api_key
"""


def results(decision: str, n_sources: int = 2) -> str:
    sources = {
        f"source.armor_shop.raw.t{i:05d}": {
            "qn": f"warehouse.warehouse.raw.t{i:05d}",
            "status": "fresh",
            "outcome": "pass",
            "hours": 1.0,
            "threshold": 24.0,
            "last_updated": "2026-11-25T11:30:00Z",
            "reasons": ["fresh: 1.0h <= 24.0h"],
        }
        for i in range(n_sources)
    }
    return json.dumps({"version": 1, "decision": decision, "sources": sources})


@pytest.fixture(scope="module")
def probe_project(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    project = dbt_project.clone(tmp_path_factory.mktemp("probe") / "armor_shop")
    (project.path / "models" / "utilities" / "armor_env_probe.sql").write_text(PROBE)
    return project


def probe_row(project: DbtProject) -> tuple[Any, ...]:
    """The values the probe model rendered in its last run (from dbt's compiled SQL)."""
    compiled = project.path / "target" / "compiled" / "armor_shop" / "models" / "utilities"
    sql = (compiled / "armor_env_probe.sql").read_text()
    found = re.search(
        r"(\d+) as results_chars,\s*'(\w+)' as decision,\s*(\d+) as source_count,"
        r"\s*'([^']*)' as api_key",
        sql,
    )
    assert found is not None, sql
    return int(found[1]), found[2], int(found[3]), found[4]


def run_probe(project: DbtProject, text: str, *extra: str) -> str:
    """Run the probe model as a subprocess; returns this run's dbt.log."""
    project.log_path.unlink(missing_ok=True)
    invoker = make_invoker(project.path, project.profiles_dir, executable=DBT_EXECUTABLE)
    code = invoker.run("run", ["-s", "armor_env_probe", *extra], results_env(text))
    assert code == 0
    return project.log_path.read_text()


@pytest.mark.slow  # make test-all; keeps make test near ten minutes
def test_new_results_do_not_force_a_full_reparse(
    probe_project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARMOR_API_KEY", KEY)
    run_probe(probe_project, results("pass"))
    assert probe_row(probe_project)[1:] == ("pass", 2, "absent")
    log = run_probe(probe_project, results("warn", 3))
    assert probe_row(probe_project)[1:] == ("warn", 3, "absent")
    assert "Partial parsing enabled" in log
    assert "Unable to do partial parsing" not in log
    # control: a --vars change is what would force the full re-parse we avoid
    log = run_probe(probe_project, results("warn", 3), "--vars", "{armor_probe: 1}")
    assert "Unable to do partial parsing" in log


@pytest.mark.slow  # make test-all; keeps make test near ten minutes
def test_ten_thousand_sources_reach_dbt_in_chunks(
    probe_project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARMOR_API_KEY", KEY)
    text = results("block", 10_000)
    assert len(text) > 2 * 1024 * 1024  # beyond the default ARG_MAX (8 MiB stack / 4)
    run_probe(probe_project, text)
    assert probe_row(probe_project) == (len(text), "block", 10_000, "absent")


def test_inprocess_run_sets_and_restores_the_environment(
    probe_project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.setenv("ARMOR_API_KEY", KEY)
    monkeypatch.setenv("DBT_ARMOR_RESULTS_9", "stale chunk")
    invoker = make_invoker(probe_project.path, probe_project.profiles_dir, mode="inprocess")
    invoker.parse(["-s", "armor_env_probe"])
    text = results("warn", 5)
    assert invoker.run("run", ["-s", "armor_env_probe"], results_env(text)) == 0
    assert probe_row(probe_project) == (len(text), "warn", 5, "absent")
    assert os.environ["ARMOR_API_KEY"] == KEY
    assert "DBT_ARMOR_RESULTS" not in os.environ
    assert invoker.run("run", ["--no-such-dbt-flag"], {}) == 2  # usage error, as on the CLI
    assert Path(invoker.manifest_path or "").is_file()
