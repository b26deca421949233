"""``dbt-armor gate --manifest``: the selection is evaluated on a manifest file alone (dbt is
never invoked) and the sources upstream of it are gated against the emulator.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from gate_project import control, fault

import dbt_armor.cli.main as cli_main
import dbt_armor.dbt as dbt_pkg
from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorServer
from dbt_armor.project.graph import upstream_sources
from dbt_armor.project.manifest import load_manifest
from dbt_armor.project.select import select_nodes

FIXTURE = Path(__file__).parents[1] / "fixtures" / "manifests" / "integration_v12.json"
ORDERS = "source.armor_shop.shop.orders"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with dbt_armor.yml and target/manifest.json, and no way to start dbt."""

    def no_dbt(*_: Any, **__: Any) -> None:
        raise AssertionError("dbt must not be invoked with --manifest")

    monkeypatch.setattr(dbt_pkg, "make_invoker", no_dbt)
    # The CLI was imported long ago, as in an orchestrator's process: main(argv) counts
    # --deadline from its own call (from the import, the reads would get the 1 s minimum).
    monkeypatch.setattr(cli_main, "STARTED", time.monotonic() - 3600)
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    # The selection is under test, not the all-not-monitored guard: accept unknown sources.
    (tmp_path / "dbt_armor.yml").write_text(
        'data_sources:\n  "*": warehouse\ngate:\n  all_not_monitored: accept\n'
    )
    return tmp_path


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _entry(ctx: click.Context) -> None:
    """The console-script entry point, so exit codes are the real process exit codes."""
    main(list(ctx.args))


def _gate(project: Path, emulator: EmulatorServer, api_key: str, *argv: str) -> Any:
    env = {"ARMOR_API_KEY": api_key, "ARMOR_API_URL": emulator.url + "/api/v1"}
    manifest = str(project / "target" / "manifest.json")
    args = ["gate", "--manifest", manifest, "--project-dir", str(project), *argv]
    return CliRunner().invoke(_entry, args, env=env)


def _gated(project: Path) -> set[str]:
    data = json.loads((project / "target" / "armor_gate.json").read_text())
    return {s["unique_id"] for s in data["sources"]}


@pytest.mark.parametrize(
    ("argv", "select", "types"),
    [
        ([], [], ("model", "seed", "snapshot")),
        (["--command", "run"], [], ("model",)),
        (["--select", "+fct_orders", "--command", "run"], ["+fct_orders"], ("model",)),
        (["-s", "stg_customers", "customers_snapshot"], ["stg_customers customers_snapshot"],
         ("model", "seed", "snapshot")),
        (["--select", "tag:mart,path:models/marts", "--exclude", "dim_customers"],
         ["tag:mart,path:models/marts"], ("model", "seed", "snapshot")),
    ],
)  # fmt: skip
def test_gate_on_a_manifest_gates_what_the_selection_reads(
    project: Path,
    emulator: EmulatorServer,
    api_key: str,
    argv: list[str],
    select: list[str],
    types: tuple[str, ...],
) -> None:
    done = _gate(project, emulator, api_key, *argv)
    assert done.exit_code == 0, done.output  # not monitored warns by default
    manifest = load_manifest(FIXTURE)
    exclude = ["dim_customers"] if "--exclude" in argv else []
    expected = set(upstream_sources(manifest, select_nodes(manifest, select, exclude, types)))
    assert expected and _gated(project) == expected


def test_a_stale_source_in_the_selection_blocks(
    project: Path, emulator: EmulatorServer, api_key: str
) -> None:
    emulator.state.add_table("warehouse", "warehouse", "raw", "orders")
    body = {"qualified_name": "warehouse.warehouse.raw.orders", "status": "stale"}
    control(emulator, "freshness", {**body, "hours_since_update": 40.0, "threshold_hours": 24})
    blocked = _gate(project, emulator, api_key, "--select", "stg_orders", "--command", "run")
    assert blocked.exit_code == 3, blocked.output
    assert _gated(project) == {ORDERS}
    elsewhere = _gate(project, emulator, api_key, "--select", "stg_customers")
    assert elsewhere.exit_code == 0, elsewhere.output
    assert ORDERS not in _gated(project)


def test_a_yaml_selector_from_the_manifest_is_gated_without_dbt(
    project: Path, emulator: EmulatorServer, api_key: str
) -> None:
    done = _gate(project, emulator, api_key, "--selector", "nightly", "-s", "stg_customers")
    assert done.exit_code == 0, done.output  # --selector wins over --select, as in dbt
    manifest = load_manifest(FIXTURE)
    nightly = select_nodes(manifest, selector="nightly")
    assert {n.split(".")[-1] for n in nightly} == {"stg_orders", "fct_daily_revenue"}
    assert _gated(project) == set(upstream_sources(manifest, nightly)) and ORDERS in _gated(project)
    missing = _gate(project, emulator, api_key, "--selector", "weekly")
    assert missing.exit_code == 2 and "no YAML selector named 'weekly'" in missing.output


@pytest.mark.parametrize(
    ("argv", "named"),
    [(["--select", "state:modified+"], "'state'"), (["--defer", "-s", "a"], "--defer")],
)
def test_what_needs_dbt_is_a_one_line_usage_error(
    project: Path, emulator: EmulatorServer, api_key: str, argv: list[str], named: str
) -> None:
    done = _gate(project, emulator, api_key, *argv)
    assert done.exit_code == 2
    assert named in done.output and "without --manifest" in done.output
    assert "Traceback" not in done.output


def test_main_with_argv_counts_the_deadline_from_its_own_call(
    project: Path, emulator: EmulatorServer, api_key: str
) -> None:
    """Each platform read takes 1.2 s, more than the 1 s a deadline counted from the CLI's
    import (an hour ago) would leave them; counted from the call, 20 s is plenty."""
    fault(emulator, match="* /api/v1/*", latency_ms=1200, count=0)
    done = _gate(project, emulator, api_key, "--select", "stg_customers", "--deadline", "20")
    assert done.exit_code == 0, done.output
    assert _gated(project)
