"""The one gate entry point's assembly of a call's policy and run options (pure parts)."""

from __future__ import annotations

import pytest

from dbt_armor.errors import ConfigError
from dbt_armor.gate.entry import policy_flags, run_overrides
from dbt_armor.gate.policy import parse_flag_pairs, parse_run_options


def test_a_mapping_and_flag_pairs_give_the_same_policy() -> None:
    from_mapping = policy_flags({"stale": "warn", "unknown": "error"}, 12)
    from_flags = policy_flags(["stale=warn", "unknown=error"], 12)
    assert from_mapping == from_flags == ["stale=warn", "unknown=error", "max_age=12"]
    parsed = parse_flag_pairs(from_mapping)
    assert parsed["max_age"] == 12 and parsed["stale"].value == "warn"


def test_max_age_comes_last_so_it_wins_over_a_policy_pair() -> None:
    pairs = policy_flags({"max_age": 48}, 6)
    assert parse_flag_pairs(pairs)["max_age"] == 6


def test_one_pair_as_a_string_is_one_pair_not_its_characters() -> None:
    assert policy_flags("stale=warn") == ["stale=warn"]
    assert policy_flags(None) == [] and policy_flags((), None) == []


def test_a_bad_pair_is_still_refused_by_the_policy_reader() -> None:
    with pytest.raises(ConfigError, match="not key=value"):
        parse_flag_pairs(policy_flags(["stale"]))


def test_run_overrides_leave_unset_options_to_the_project() -> None:
    options = parse_run_options(run_overrides(mode="skip", deadline=5), "call")
    assert (options.mode, options.deadline) == ("skip", 5.0)
    assert options.on_api_error == parse_run_options({}, "call").on_api_error
    with pytest.raises(ConfigError, match="on_api_error"):
        parse_run_options(run_overrides(on_api_error="maybe"), "call")
