"""Rewriting a dbt command line for --only-new-data, and the rule for source-less nodes."""

from __future__ import annotations

from pathlib import Path

from dbt_armor.freshness.new_data import default_state, kept_by_rule
from dbt_armor.freshness.selection import FRESHER, narrowed_args, split_selection


def test_every_select_item_is_intersected_and_other_flags_are_kept() -> None:
    user = split_selection(
        ["--target", "prod", "-s", "+fct_orders tag:daily", "--exclude", "stg_x", "--full-refresh"]
    )
    assert user.select == ("+fct_orders", "tag:daily")
    assert user.exclude == ("stg_x",)
    args = narrowed_args(user, state_dir="/s", kept=["shop.dim_dates"])
    assert args == [
        "--target", "prod", "--full-refresh",
        "--select", f"+fct_orders,{FRESHER}", f"tag:daily,{FRESHER}", "shop.dim_dates",
        "--exclude", "stg_x", "--state", "/s",
    ]  # fmt: skip


def test_no_selection_selects_fresher_only_and_inline_values_are_read() -> None:
    user = split_selection(["--models=a", "--selector=nightly", "--state", "prod/"])
    assert (user.select, user.selector, user.state) == (("a",), "nightly", "prod/")
    assert narrowed_args(split_selection([]), state_dir="st") == [
        "--select", FRESHER, "--state", "st",
    ]  # fmt: skip


def test_an_explicit_selection_replaces_a_yaml_selector_and_its_excludes() -> None:
    user = split_selection(["--selector", "nightly", "--exclude", "x"])
    args = narrowed_args(user, state_dir="st", explicit=["shop.a", "shop.b"])
    assert args == ["--select", f"shop.a,{FRESHER}", f"shop.b,{FRESHER}", "--state", "st"]
    empty = narrowed_args(user, state_dir="st", explicit=[])
    assert empty[:2] == ["--select", "fqn:__dbt_armor_nothing_selected__"]


def test_the_rule_keeps_sourceless_nodes_and_nodes_reading_unknown_sources() -> None:
    upstream = {"source.a": frozenset({"m1", "m2"}), "source.b": frozenset({"m2", "m3"})}
    selected = frozenset({"m1", "m2", "m3", "seed1"})
    assert kept_by_rule(selected, upstream, set(), "build") == {"seed1"}
    assert kept_by_rule(selected, upstream, {"source.b"}, "build") == {"seed1", "m2", "m3"}
    assert kept_by_rule(selected, upstream, {"source.b"}, "skip") == set()


def test_the_default_state_is_one_folder_per_command_target_and_selection(tmp_path: Path) -> None:
    def state(command: str, target: str | None, argv: list[str]) -> Path:
        return default_state(tmp_path, command, target, split_selection(argv))

    base = state("build", "dev", ["-s", "a b"])
    assert base.parent == tmp_path / "armor_new_data"
    assert base == state("build", "dev", ["--select", "b", "a", "--full-refresh"])
    others = {
        state("run", "dev", ["-s", "a b"]),
        state("build", "prod", ["-s", "a b"]),
        state("build", "dev", ["-s", "a"]),
        state("build", "dev", ["-s", "a b", "--exclude", "c"]),
        state("build", "dev", ["--selector", "nightly"]),
    }
    assert base not in others and len(others) == 5


def test_a_yaml_selector_in_force_is_replaced_by_the_nodes_it_chose() -> None:
    from dbt_armor.freshness.new_data import _explicit

    chosen = frozenset({"model.shop.a", "model.shop.b"})
    names = {"model.shop.a": "shop.a", "model.shop.b": "shop.b"}
    default = {"nightly": {"name": "nightly", "default": True, "definition": {}}}
    declared = {"nightly": {"name": "nightly", "default": False, "definition": {}}}
    assert _explicit(split_selection([]), default, names, chosen) == ["shop.a", "shop.b"]
    assert _explicit(split_selection([]), declared, names, chosen) is None
    assert _explicit(split_selection(["-s", "a"]), default, names, chosen) is None
    named = split_selection(["--selector", "nightly"])
    assert _explicit(named, declared, names, chosen) == ["shop.a", "shop.b"]
