"""dbt's own selector engine through both invokers: in-process and subprocess must agree.

Expected node sets are derived from the built project's manifest.json (parent/child maps,
tags), never written out by hand.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from project_copy import DBT_EXECUTABLE, DbtProject

from dbt_armor.dbt import DbtInvoker, make_invoker
from dbt_armor.dbt.inprocess import InProcessInvoker

pytestmark = pytest.mark.e2e
EXECUTED = {"model", "seed", "snapshot"}


@pytest.fixture(scope="module")
def manifest(dbt_project: DbtProject) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dbt_project.manifest_path.read_text())
    return data


@pytest.fixture(scope="module")
def inprocess(dbt_project: DbtProject) -> DbtInvoker:
    invoker = make_invoker(dbt_project.path, dbt_project.profiles_dir, mode="inprocess")
    invoker.parse([])
    return invoker


@pytest.fixture(scope="module")
def subproc(dbt_project: DbtProject) -> DbtInvoker:
    return make_invoker(dbt_project.path, dbt_project.profiles_dir, executable=DBT_EXECUTABLE)


@pytest.fixture(scope="module")
def state_dir(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Production-like artifacts in which stg_orders differs from the working project."""
    prod = dbt_project.clone(tmp_path_factory.mktemp("prod") / "armor_shop")
    model = prod.path / "models" / "staging" / "stg_orders.sql"
    model.write_text(model.read_text().replace("status,", "upper(status) as status,"))
    prod.dbt("parse")
    state = tmp_path_factory.mktemp("state")
    shutil.copy(prod.manifest_path, state / "manifest.json")
    return state


def walk(graph: dict[str, list[str]], start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        uid = todo.pop()
        if uid not in seen:
            seen.add(uid)
            todo += graph.get(uid, [])
    return seen


def executed(uids: Iterable[str], types: set[str] = EXECUTED) -> frozenset[str]:
    return frozenset(u for u in uids if u.split(".", 1)[0] in types)


def uid(name: str, kind: str = "model") -> str:
    return f"{kind}.armor_shop.{name}"


def selection_cases(
    manifest: dict[str, Any], state_dir: Path
) -> list[tuple[str, list[str], frozenset[str]]]:
    """(command, dbt args, expected executed nodes) derived from the manifest graph."""
    parents, children = manifest["parent_map"], manifest["child_map"]
    nightly = {u for u, n in manifest["nodes"].items() if "nightly" in n["tags"]}
    marts = {
        u
        for u, n in manifest["nodes"].items()
        if n["original_file_path"].startswith("models/marts")
    }
    cases: list[tuple[str, list[str], frozenset[str]]] = [
        ("run", ["-s", "+fct_orders"], executed(walk(parents, [uid("fct_orders")]), {"model"})),
        (
            "build",
            ["--select", "+dim_customers", "--exclude", "stg_payments+"],
            executed(walk(parents, [uid("dim_customers")]))
            - executed(walk(children, [uid("stg_payments")])),
        ),
        ("run", ["-s", "tag:nightly"], executed(nightly, {"model"})),
        ("run", ["--selector", "nightly"], executed(nightly, {"model"})),
        (
            "run",
            ["--selector", "marts_without_revenue"],
            executed(marts - {uid("fct_daily_revenue")}, {"model"}),
        ),
        (
            "run",
            ["-s", "state:modified+", "--state", str(state_dir)],
            executed(walk(children, [uid("stg_orders")]), {"model"}),
        ),
        ("seed", [], executed(manifest["nodes"], {"seed"})),
        ("run", ["-s", "no_such_model_anywhere"], frozenset()),
    ]
    return cases


def test_inprocess_selection_matches_the_graph(
    inprocess: DbtInvoker, manifest: dict[str, Any], state_dir: Path
) -> None:
    for command, argv, expected in selection_cases(manifest, state_dir):
        got = inprocess.select(argv, command=command)
        assert got.unique_ids == expected, (command, argv)
        assert got.empty == (not expected)
        assert set(got.selectors) == set(expected)


@pytest.mark.slow
def test_subprocess_selection_agrees_with_inprocess(
    inprocess: DbtInvoker, subproc: DbtInvoker, manifest: dict[str, Any], state_dir: Path
) -> None:
    for command, argv, expected in selection_cases(manifest, state_dir):
        got_sub = subproc.select(argv, command=command)
        assert got_sub.unique_ids == expected, (command, argv)
        assert got_sub.selectors == inprocess.select(argv, command=command).selectors


def test_selectors_select_the_same_nodes_when_fed_back(
    inprocess: DbtInvoker, subproc: DbtInvoker
) -> None:
    first = inprocess.select(["-s", "+dim_customers"], command="build")
    assert first.selectors.keys() == first.unique_ids
    again = subproc.select(["-s", *first.selectors.values()], command="build")
    assert again.unique_ids == first.unique_ids
    excluded = inprocess.select(
        ["-s", "+dim_customers", "--exclude", first.selectors[uid("stg_orders")]],
        command="build",
    )
    assert excluded.unique_ids == first.unique_ids - {uid("stg_orders")}


def test_inprocess_reuses_one_parse(dbt_project: DbtProject, inprocess: DbtInvoker) -> None:
    assert isinstance(inprocess, InProcessInvoker)
    before = inprocess.dbt_manifest
    inprocess.select(["-s", "fct_orders"], command="run")
    assert inprocess.dbt_manifest is before
    assert inprocess.manifest_path == dbt_project.manifest_path


def test_parse_failure_is_one_clear_error(tmp_path: Path) -> None:
    from dbt_armor.errors import DbtError

    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text(
        "name: broken\nversion: '1.0'\nconfig-version: 2\nprofile: broken\n"
    )
    (tmp_path / "profiles.yml").write_text(
        f"broken:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {tmp_path / 'w.duckdb'}\n"
    )
    (tmp_path / "models" / "bad.sql").write_text("select * from {{ ref('nope') }}")
    invoker = make_invoker(tmp_path, tmp_path, executable=DBT_EXECUTABLE)
    with pytest.raises(DbtError, match="dbt parse failed") as caught:
        invoker.parse([])
    assert "\n" not in caught.value.message
