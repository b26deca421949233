from __future__ import annotations

import pytest

from dbt_armor.errors import ConfigError
from dbt_armor.gate.facts import Level
from dbt_armor.gate.policy import (
    Policy,
    parse_flag_pairs,
    parse_policy,
    parse_run_options,
    resolve_policy,
    split_project_gate,
)


def test_defaults_are_cautious() -> None:
    p = Policy()
    assert p.to_json() == {
        "stale": "error",
        "unknown": "warn",
        "disabled": "warn",
        "not_monitored": "warn",
        "validity_critical": "error",
        "validity_error": "error",
        "validity_warning": "warn",
        "validity_info": "off",
        "referential": "error",
        "max_age": None,
        "use_dbt_freshness": False,
    }


def test_parse_accepts_case_and_types() -> None:
    got = parse_policy(
        {"stale": "WARN", "unknown": False, "max_age": "12", "use_dbt_freshness": "yes"}, "x"
    )
    assert got == {
        "stale": Level.WARN,
        "unknown": Level.OFF,
        "max_age": 12.0,
        "use_dbt_freshness": True,
    }


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"stael": "warn"}, "unknown gate policy key 'stael'"),
        ({"stale": "block"}, "allowed values: error, warn, off"),
        ({"max_age": "soon"}, "positive number of hours"),
        ({"max_age": 0}, "positive number of hours"),
        ({"use_dbt_freshness": "maybe"}, "true, false"),
    ],
)
def test_parse_rejects_with_location_and_allowed(raw: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_policy(raw, "source.pkg.raw.orders (models/sources.yml)")
    text = str(exc.value)
    assert needle in text
    assert "source.pkg.raw.orders (models/sources.yml)" in text


def test_non_mapping_policy_is_config_error() -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_policy(["stale"], "model.pkg.x")  # type: ignore[arg-type]


def test_split_project_gate_separates_run_options() -> None:
    policy, run = split_project_gate(
        {"stale": "warn", "on_api_error": "cached", "mode": "skip", "cache_ttl": 2}, "f.yml"
    )
    assert policy == {"stale": Level.WARN}
    assert (run.on_api_error, run.mode, run.cache_ttl, run.deadline) == (
        "cached",
        "skip",
        2.0,
        60.0,
    )


def test_run_options_reject_bad_values() -> None:
    with pytest.raises(ConfigError, match="allowed values: fail, open, cached"):
        parse_run_options({"on_api_error": "retry"}, "--on-api-error")
    with pytest.raises(ConfigError, match="unknown gate option"):
        parse_run_options({"colour": "red"}, "dbt_armor.yml")
    with pytest.raises(ConfigError, match="positive"):
        parse_run_options({"deadline": -1}, "--deadline")


def test_flag_pairs() -> None:
    assert parse_flag_pairs(["stale=warn", "max_age = 6"]) == {"stale": Level.WARN, "max_age": 6.0}
    with pytest.raises(ConfigError, match="key=value"):
        parse_flag_pairs(["stale"])


def test_layering_project_then_source() -> None:
    p = resolve_policy(
        project=parse_policy({"stale": "warn", "unknown": "error"}, "p"),
        source=parse_policy({"stale": "off"}, "s"),
    )
    assert p.stale is Level.OFF  # the source's own setting overrides the project default
    assert p.unknown is Level.ERROR
    assert p.disabled is Level.WARN


def test_models_only_tighten_strictest_wins() -> None:
    source = parse_policy({"stale": "warn", "max_age": 24}, "s")
    loose = parse_policy({"stale": "off", "max_age": 48}, "m1")
    strict = parse_policy({"stale": "error", "max_age": 6, "use_dbt_freshness": True}, "m2")
    p = resolve_policy(project={}, source=source, nodes=[loose, strict])
    assert p.stale is Level.ERROR
    assert p.max_age == 6.0
    assert p.use_dbt_freshness is True
    # a model that only relaxes does not relax
    p2 = resolve_policy(project={}, source=source, nodes=[loose])
    assert p2.stale is Level.WARN
    assert p2.max_age == 24.0


def test_model_max_age_applies_when_source_has_none() -> None:
    p = resolve_policy(project={}, source={}, nodes=[parse_policy({"max_age": 3}, "m")])
    assert p.max_age == 3.0


def test_flags_override_everything() -> None:
    p = resolve_policy(
        project=parse_policy({"stale": "error"}, "p"),
        source={},
        nodes=[parse_policy({"stale": "error"}, "m")],
        flags=parse_flag_pairs(["stale=warn"]),
    )
    assert p.stale is Level.WARN
