"""Which sources the wrapper gates depends on the wrapped dbt command: ``run`` selects models
only, so a source that feeds just a snapshot is not gated; ``build`` and ``gate`` (build
semantics unless ``--command``/``--resource-type`` say otherwise) gate it too.

dbt itself is replaced by an invoker that applies the resource types the wrapper asks for to a
hand-made manifest, so the real split_args -> select path and the real CLI are exercised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import dbt_armor.dbt as dbt_pkg
from dbt_armor.cli.main import cli
from dbt_armor.dbt.args import DbtArgs
from dbt_armor.dbt.invocation import resolve_invocation
from dbt_armor.dbt.invoker import DbtInvoker
from dbt_armor.dbt.selection import Selection
from dbt_armor.emulator import EmulatorServer
from dbt_armor.gate.pipeline import Prepared
from dbt_armor.gate.pipeline import prepare as pipeline_prepare

ORDERS = "source.shop.raw.orders"
CUSTOMERS = "source.shop.raw.customers"
SCHEMA_URL = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def _manifest() -> dict[str, Any]:
    """raw.orders feeds a model; raw.customers feeds only a snapshot."""
    sources = {
        sid: {
            "unique_id": sid, "resource_type": "source", "source_name": "raw", "name": name,
            "identifier": name, "package_name": "shop", "database": "demo", "schema": "raw",
            "fqn": ["shop", "raw", name], "original_file_path": "models/sources.yml",
        }
        for sid, name in ((ORDERS, "orders"), (CUSTOMERS, "customers"))
    }  # fmt: skip
    nodes = {
        "model.shop.stg_orders": {
            "unique_id": "model.shop.stg_orders", "resource_type": "model", "name": "stg_orders",
            "package_name": "shop", "database": "demo", "schema": "staging",
            "fqn": ["shop", "stg_orders"], "depends_on": {"nodes": [ORDERS]},
        },
        "snapshot.shop.customers_snapshot": {
            "unique_id": "snapshot.shop.customers_snapshot", "resource_type": "snapshot",
            "name": "customers_snapshot", "package_name": "shop", "database": "demo",
            "schema": "snapshots", "fqn": ["shop", "customers_snapshot"],
            "depends_on": {"nodes": [CUSTOMERS]},
        },
    }  # fmt: skip
    meta = {"dbt_schema_version": SCHEMA_URL, "adapter_type": "duckdb", "project_name": "shop"}
    return {"metadata": meta, "sources": sources, "nodes": nodes, "exposures": {}}


class RecordingInvoker(DbtInvoker):
    """Writes the manifest on parse; selects the nodes of the requested resource types."""

    mode = "fake"
    calls: list[tuple[str, tuple[str, ...]]] = []

    def _parse(self, args: DbtArgs) -> None:
        target = self.target_dir(args)
        target.mkdir(parents=True, exist_ok=True)
        doc = _manifest()
        selectors = target.parent / "selectors.yml"
        if selectors.is_file():  # as dbt's parse does: every YAML selector, by name
            listed = yaml.safe_load(selectors.read_text())["selectors"]
            doc["selectors"] = {sel["name"]: sel for sel in listed}
        (target / "manifest.json").write_text(json.dumps(doc))

    def _select(self, args: DbtArgs) -> Selection:
        RecordingInvoker.calls.append(("select", args.resource_types))
        kinds = {uid: n["resource_type"] for uid, n in _manifest()["nodes"].items()}
        chosen = frozenset(u for u, k in kinds.items() if k in args.resource_types)
        return Selection(chosen, {u: u.split(".")[-1] for u in chosen}, kinds)

    def _run(self, command: str, argv: list[str], env_extra: Mapping[str, str]) -> int:
        RecordingInvoker.calls.append((command, tuple(argv)))
        print("dbt: 12:00:00  Running with dbt=1.11")  # what dbt prints on its stdout
        return 0


@pytest.fixture()
def fake_dbt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    def make(project_dir: Any, profiles_dir: Any = None, **_: Any) -> DbtInvoker:
        return RecordingInvoker(project_dir, profiles_dir)

    monkeypatch.setattr(dbt_pkg, "make_invoker", make)
    RecordingInvoker.calls = []
    (tmp_path / "dbt_project.yml").write_text("name: shop\n")
    # The selection is under test, not the all-not-monitored guard: accept unknown sources.
    (tmp_path / "dbt_armor.yml").write_text("gate:\n  all_not_monitored: accept\n")
    return tmp_path


def prepare(project: Path, argv: list[str], command: str) -> Prepared:
    """The real pipeline's prepare on the invocation dbt would see in ``project``."""
    invocation = resolve_invocation(command, ["--project-dir", str(project), *argv], {}, project)
    return pipeline_prepare(invocation)


@pytest.mark.parametrize(
    ("command", "expected"),
    [("run", {ORDERS}), ("build", {ORDERS, CUSTOMERS}), ("snapshot", {CUSTOMERS})],
)
def test_prepare_selects_what_the_command_runs(
    fake_dbt: Path, command: str, expected: set[str]
) -> None:
    from dbt_armor.project.graph import upstream_sources

    prepared = prepare(fake_dbt, [], command=command)
    assert set(upstream_sources(prepared.manifest, prepared.selected)) == expected


def _gated(
    fake_dbt: Path, emulator: EmulatorServer, api_key: str, *argv: str
) -> tuple[int, set[str]]:
    env = {"ARMOR_API_KEY": api_key, "ARMOR_API_URL": emulator.url + "/api/v1"}
    args = [*argv, "--project-dir", str(fake_dbt)]
    done = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    data = json.loads((fake_dbt / "target" / "armor_gate.json").read_text())
    return done.exit_code, {s["unique_id"] for s in data["sources"]}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run"], {ORDERS}),
        (["build"], {ORDERS, CUSTOMERS}),
        (["gate"], {ORDERS, CUSTOMERS}),
        (["gate", "--command", "run"], {ORDERS}),
        (["gate", "--resource-type", "snapshot"], {CUSTOMERS}),
    ],
)
def test_cli_gates_the_sources_of_the_wrapped_command(
    fake_dbt: Path, emulator: EmulatorServer, api_key: str, argv: list[str], expected: set[str]
) -> None:
    code, gated = _gated(fake_dbt, emulator, api_key, *argv)
    assert gated == expected
    assert code == 0  # not monitored is a warning by default
    if argv[0] != "gate":
        assert RecordingInvoker.calls[-1][0] == argv[0]  # dbt ran the wrapped command
    else:
        assert all(c[0] == "select" for c in RecordingInvoker.calls)


def test_dbt_ls_runs_only_when_something_is_selected_explicitly(fake_dbt: Path) -> None:
    def selects(args: list[str]) -> int:
        RecordingInvoker.calls = []
        prepare(fake_dbt, args, command="build")
        return sum(c[0] == "select" for c in RecordingInvoker.calls)

    assert selects([]) == 0  # every model/seed/snapshot, read from the manifest
    assert selects(["--resource-type", "model", "--target", "prod"]) == 0
    assert selects(["--select", "stg_orders"]) == 1
    assert selects(["--exclude=stg_orders"]) == 1
    assert selects(["--state", "prod-target"]) == 1
    (fake_dbt / "selectors.yml").write_text(
        "selectors:\n  - name: nightly\n    default: true\n"
        "    definition: {method: tag, value: nightly}\n"
    )
    assert selects([]) == 1  # dbt would apply the default selector: let it
    (fake_dbt / "selectors.yml").write_text(
        "selectors:\n  - name: nightly\n    default: false\n"
        "    definition: {method: tag, value: nightly}\n"
    )
    assert selects([]) == 0  # declared, but not the default: everything, from the manifest


def test_json_mode_keeps_stdout_for_the_json(
    fake_dbt: Path, emulator: EmulatorServer, api_key: str
) -> None:
    env = {"ARMOR_API_KEY": api_key, "ARMOR_API_URL": emulator.url + "/api/v1"}
    args = ["run", "--format", "json", "--project-dir", str(fake_dbt)]
    done = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)  # nothing but the JSON
    assert doc["outcome"] == "warn" and RecordingInvoker.calls[-1][0] == "run"
    assert "Running with dbt" in done.stderr
