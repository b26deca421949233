"""Settings resolution: precedence, provenance, empty-key rule, warnings, strict project file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dbt_armor.config import DEFAULT_API_URL, Secret, resolve_settings
from dbt_armor.errors import ConfigError

KEY_HOME = "aa_test_homehomehomehomehomehomehome0001"
KEY_ENV = "aa_test_envenvenvenvenvenvenvenvenvenv0002"
KEY_FLAG = "aa_test_flagflagflagflagflagflagflag0003"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    (h / ".armor").mkdir(parents=True)
    cfg = h / ".armor" / "config.yaml"
    cfg.write_text(f"api_key: {KEY_HOME}\napi_url: https://home.example/api/v1\ntimeout: 11\n")
    cfg.chmod(0o600)
    return h


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    (p / "dbt_project.yml").write_text("name: p\n")
    (p / "dbt_armor.yml").write_text(
        "api_url: https://project.example\ntier: growth\n"
        "data_sources: {dev: wh_dev, '*': wh}\nnaming: {case: upper}\n"
        "gate: {stale: error}\nsync: {dialect: backend}\n"
    )
    return p


def test_defaults_with_nothing_configured(tmp_path: Path) -> None:
    s = resolve_settings({}, {}, None, tmp_path)
    assert s.api_key is None and s.api_url == DEFAULT_API_URL and s.timeout == 30.0
    assert s.rate_limit_per_min is None and s.dialect == "upper" and s.naming_case == "auto"
    assert s.provenance["api_url"] == "default" and s.warnings == ()
    with pytest.raises(ConfigError, match="no AnomalyArmor API key"):
        s.require_key()


def test_home_file_then_project_then_env_then_flags(home: Path, project: Path) -> None:
    only_home = resolve_settings({}, {}, None, home)
    assert only_home.api_key == Secret(KEY_HOME) and only_home.timeout == 11.0
    assert only_home.api_url == "https://home.example/api/v1"
    assert only_home.provenance["api_key"] == str(home / ".armor" / "config.yaml")

    with_project = resolve_settings({}, {}, project, home)
    assert with_project.api_url == "https://project.example/api/v1"
    assert with_project.provenance["api_url"] == str(project / "dbt_armor.yml")
    assert (with_project.rate_limit_per_min, with_project.burst) == (500, 25)
    assert with_project.data_sources == {"dev": "wh_dev", "*": "wh"}
    assert with_project.naming_case == "upper" and with_project.dialect == "backend"
    assert with_project.gate == {"stale": "error"}

    env = {
        "ARMOR_API_KEY": KEY_ENV,
        "ARMOR_API_URL": "http://127.0.0.1:9/",
        "ARMOR_TIMEOUT": "5",
        "ARMOR_TIER": "starter",
    }
    with_env = resolve_settings({}, env, project, home)
    assert with_env.api_key == Secret(KEY_ENV) and with_env.api_url == "http://127.0.0.1:9/api/v1"
    assert with_env.timeout == 5.0 and (with_env.rate_limit_per_min, with_env.burst) == (30, 3)
    assert with_env.provenance["api_key"] == "env ARMOR_API_KEY"
    assert with_env.provenance["timeout"] == "env ARMOR_TIMEOUT"

    flags = {
        "api_key": KEY_FLAG,
        "timeout": 2,
        "rate_limit_per_min": 100,
        "burst": 4,
        "api_url": None,
    }
    with_flags = resolve_settings(flags, env, project, home)
    assert with_flags.api_key == Secret(KEY_FLAG) and with_flags.timeout == 2.0
    assert (with_flags.rate_limit_per_min, with_flags.burst) == (100, 4)
    assert with_flags.provenance["api_key"] == "flag"
    assert with_flags.api_url == "http://127.0.0.1:9/api/v1"  # None flag does not override


def test_empty_env_key_means_no_key_even_if_file_has_one(home: Path) -> None:
    s = resolve_settings({}, {"ARMOR_API_KEY": ""}, None, home)
    assert s.api_key is None
    assert "empty" in s.provenance["api_key"]
    with pytest.raises(ConfigError, match="ARMOR_API_KEY is set but empty"):
        s.require_key()


def test_key_in_project_file_warns_without_showing_it(tmp_path: Path) -> None:
    (tmp_path / "dbt_armor.yml").write_text(f"api_key: {KEY_FLAG}\n")
    (tmp_path / "dbt_armor.yml").chmod(0o644)
    s = resolve_settings({}, {}, tmp_path, tmp_path / "nohome")
    assert s.api_key == Secret(KEY_FLAG)
    assert any("committed to git" in w for w in s.warnings)
    assert any("readable by everyone" in w for w in s.warnings)
    assert all(KEY_FLAG not in w for w in s.warnings)
    assert KEY_FLAG not in repr(s)


def test_world_readable_home_file_with_key_warns(home: Path) -> None:
    (home / ".armor" / "config.yaml").chmod(0o644)
    s = resolve_settings({}, {}, None, home)
    assert any("chmod 600" in w for w in s.warnings)


def test_unknown_project_key_names_key_and_file(tmp_path: Path) -> None:
    (tmp_path / "dbt_armor.yml").write_text("api_ur1: https://x\n")
    with pytest.raises(ConfigError) as info:
        resolve_settings({}, {}, tmp_path, tmp_path)
    assert "'api_ur1'" in str(info.value) and str(tmp_path / "dbt_armor.yml") in str(info.value)
    assert "\n" not in str(info.value)
    (tmp_path / "dbt_armor.yml").write_text("naming: {kase: upper}\n")
    with pytest.raises(ConfigError, match=r"naming\.kase"):
        resolve_settings({}, {}, tmp_path, tmp_path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("api_url: [unclosed\n", "not valid YAML"),
        ("- a list\n", "must be a YAML mapping"),
        ("tier: platinum\n", "unknown rate-limit tier"),
        ("timeout: -1\n", "positive number"),
        ("sync: {dialect: lower}\n", "sync.dialect"),
        ("api_url: http://remote.example\n", "http://"),
        ("data_sources: [a, b]\n", "data_sources"),
    ],
)
def test_bad_values_are_one_line_config_errors(tmp_path: Path, content: str, match: str) -> None:
    (tmp_path / "dbt_armor.yml").write_text(content)
    with pytest.raises(ConfigError, match=match) as info:
        resolve_settings({}, {}, tmp_path, tmp_path)
    assert "\n" not in str(info.value)


def test_bad_env_timeout_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="env ARMOR_TIMEOUT"):
        resolve_settings({}, {"ARMOR_TIMEOUT": "soon"}, None, tmp_path)


def test_reading_config_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "emptyhome"
    home.mkdir()
    resolve_settings({}, {}, tmp_path, home)
    assert os.listdir(home) == []


def test_settings_feed_the_client(home: Path) -> None:
    from dbt_armor.api import ArmorClient

    s = resolve_settings({"tier": "free_trial"}, {}, None, home)
    client = ArmorClient.from_settings(s)
    assert client.base_url == "https://home.example/api/v1"
    assert client.limiter is not None and client.limiter.published == (20, 2)
    assert KEY_HOME not in repr(client)
    client.close()


def test_lineage_section_is_refused_because_nothing_reads_it(tmp_path: Path) -> None:
    (tmp_path / "dbt_armor.yml").write_text("lineage:\n  slim: false\n")
    with pytest.raises(ConfigError, match=r"'lineage' in .* is not read by dbt-armor") as exc:
        resolve_settings({}, {}, tmp_path, tmp_path)
    assert exc.value.hint is not None and "dbt-armor lineage publish" in exc.value.hint
