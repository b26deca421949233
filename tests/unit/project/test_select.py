"""The manifest-only selector against integration_project's manifest: each expected set is
derived here from the manifest's own parent_map / child_map / node fields, the way dbt ls
evaluates the same selector (checked against dbt 1.11's ls while writing the selector).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from dbt_armor.errors import UsageError
from dbt_armor.gate.offline import selection_flags
from dbt_armor.project.manifest import load_manifest
from dbt_armor.project.select import Selector, fqn_matches, parse_criterion

FIXTURE = Path(__file__).parents[2] / "fixtures" / "manifests" / "integration_v12.json"
RAW: dict[str, Any] = json.loads(FIXTURE.read_text())
BUILD = ("model", "seed", "snapshot")
RUN = ("model",)


@pytest.fixture(scope="module")
def selector() -> Selector:
    return Selector(load_manifest(FIXTURE))


def uid(name: str) -> str:
    found = [
        u for u, n in RAW["nodes"].items() if n["name"] == name and n["resource_type"] != "test"
    ]
    assert len(found) == 1, name
    return str(found[0])


def walk(start: Iterable[str], edges: dict[str, list[str]], depth: int | None = None) -> set[str]:
    seen: set[str] = set()
    layer, level = set(start), 0
    while layer and (depth is None or level < depth):
        layer = {e for u in layer for e in edges.get(u, []) if e not in seen}
        seen |= layer
        level += 1
    return seen


def kinds(ids: Iterable[str], types: tuple[str, ...]) -> frozenset[str]:
    def kind(u: str) -> str:
        return str((RAW["nodes"].get(u) or {}).get("resource_type", u.split(".")[0]))

    return frozenset(u for u in ids if kind(u) in types)


def where(test: Callable[[dict[str, Any]], bool]) -> set[str]:
    return {u for u, n in RAW["nodes"].items() if test(n)}


PARENTS, CHILDREN = RAW["parent_map"], RAW["child_map"]


@pytest.mark.parametrize("types", [RUN, BUILD])
def test_no_selection_is_every_node_of_the_command(selector: Selector, types: Any) -> None:
    assert selector.select([], [], types) == kinds(RAW["nodes"], types)


def up(name: str, depth: int | None = None) -> set[str]:
    """``depth+name``: the node and its ancestors from parent_map."""
    return walk([uid(name)], PARENTS, depth) | {uid(name)}


def down(name: str, depth: int | None = None) -> set[str]:
    """``name+depth``: the node and its descendants from child_map."""
    return walk([uid(name)], CHILDREN, depth) | {uid(name)}


def under(folder: str) -> set[str]:
    return where(lambda n: n["original_file_path"].startswith(folder + "/"))


def tagged(*tags: str) -> set[str]:
    return where(lambda n: bool(set(tags) & set(n["tags"])))


SHOP = [s for s, v in RAW["sources"].items() if v["source_name"] == "shop"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("+fct_orders", lambda: up("fct_orders")),
        ("stg_orders+", lambda: down("stg_orders")),
        ("1+fct_orders", lambda: up("fct_orders", 1)),
        ("fct_orders+1", lambda: down("fct_orders", 1)),
        ("+stg_orders+", lambda: up("stg_orders") | down("stg_orders")),
        ("@stg_orders", lambda: walk(down("stg_orders"), PARENTS) | down("stg_orders")),
        ("source:shop+", lambda: walk(SHOP, CHILDREN)),
        ("source:crm.customers+", lambda: walk(["source.armor_shop.crm.customers"], CHILDREN)),
        ("+revenue_dashboard", lambda: walk(list(RAW["exposures"]), PARENTS)),
        ("tag:mart", lambda: tagged("mart")),
        ("tag:m*", lambda: where(lambda n: any(fnmatchcase(t, "m*") for t in n["tags"]))),
        ("path:models/staging", lambda: under("models/staging")),
        ("models/marts", lambda: under("models/marts")),
        ("path:seeds/raw/*.csv", lambda: under("seeds/raw")),
        ("dim_countries.sql", lambda: {uid("dim_countries")}),
        ("resource_type:seed", lambda: where(lambda n: n["resource_type"] == "seed")),
        ("config.materialized:view", lambda: where(lambda n: n["config"]["materialized"] == "view")),  # noqa: E501
        ("fqn:armor_shop.marts.*", lambda: where(lambda n: n["fqn"][:2] == ["armor_shop", "marts"])),  # noqa: E501
        ("marts.*", lambda: where(lambda n: n["fqn"][1:2] == ["marts"])),
        ("staging", lambda: where(lambda n: n["fqn"][1:2] == ["staging"])),
        ("stg_*", lambda: where(lambda n: n["name"].startswith("stg_"))),
        ("raw", lambda: where(lambda n: n["fqn"][1:2] == ["raw"])),
        ("customers", lambda: where(lambda n: n["fqn"][-1] == "customers")),
        ("tag:nightly,+fct_daily_revenue", lambda: tagged("nightly") & up("fct_daily_revenue")),
        ("package:armor_shop,resource_type:model", lambda: where(lambda n: n["resource_type"] == "model")),  # noqa: E501
        ("tag:mart tag:staging", lambda: tagged("mart", "staging")),
    ],
)  # fmt: skip
@pytest.mark.parametrize("types", [RUN, BUILD])
def test_selection_matches_the_manifest_graph(
    selector: Selector, spec: str, expected: Callable[[], set[str]], types: Any
) -> None:
    want = kinds(expected(), types)
    assert selector.select([spec], [], types) == want
    assert expected()  # every case selects something of some resource type


def test_exclude_removes_from_the_union(selector: Selector) -> None:
    got = selector.select(["tag:mart tag:staging"], ["fct_orders"], RUN)
    assert got == kinds(tagged("mart", "staging"), RUN) - {uid("fct_orders")}
    rest = set(RAW["nodes"]) - tagged("mart")
    assert selector.select([], ["tag:mart"], BUILD) == kinds(rest, BUILD)


def test_unmatched_selection_is_empty(selector: Selector) -> None:
    assert selector.select(["no_such_model"], [], BUILD) == frozenset()


@pytest.mark.parametrize(
    "spec", ["state:modified+", "result:error", "group:finance", "+access:public"]
)
def test_methods_that_need_dbt_are_usage_errors_naming_them(spec: str) -> None:
    method = spec.lstrip("+").split(":")[0]
    with pytest.raises(UsageError, match=f"'{method}'.*without --manifest"):
        parse_criterion(spec)


def test_bad_specs_are_usage_errors() -> None:
    for spec in ("resource_type:modle", "@stg_orders+"):
        with pytest.raises(UsageError):
            parse_criterion(spec)


@pytest.mark.parametrize("flag", ["--state", "--defer"])
def test_dbt_only_flags_are_usage_errors(flag: str) -> None:
    with pytest.raises(UsageError, match=flag):
        selection_flags("build", [flag, "x", "--select", "a"])


def test_selection_flags_split_select_and_exclude() -> None:
    argv = ["--target", "prod", "-s", "a", "b+", "--exclude", "c", "--threads", "4", "-m", "d"]
    assert selection_flags("run", argv) == (["a", "b+", "d"], ["c"], None)
    assert selection_flags("build", ["--selector", "nightly", "-s", "a"])[2] == "nightly"


@pytest.mark.parametrize(
    ("fqn", "selector", "hit"),
    [
        (["pkg", "marts", "orders"], "orders", True),
        (["pkg", "marts", "orders"], "pkg.marts", True),
        (["pkg", "marts", "orders"], "marts", True),
        (["pkg", "marts", "orders"], "mart", False),
        (["pkg", "marts", "orders"], "pkg.*.orders", True),
        (["pkg", "marts", "orders"], "ord*", True),
        (["pkg", "marts", "orders"], "other.marts", False),
        (["pkg", "a", "b", "c"], "a.b.c.d", False),
    ],
)
def test_fqn_matches(fqn: list[str], selector: str, hit: bool) -> None:
    assert fqn_matches(fqn, selector) is hit
