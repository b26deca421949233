"""Project commands resolve the target as dbt does: -t, DBT_TARGET, the profile's default, and
DBT_PROJECT_DIR when --project-dir is left at its default (map as the example, no platform)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbt_armor.cli.map import command

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"
PROFILES = "shop:\n  target: prod\n  outputs: {prod: {type: duckdb}, dev: {type: duckdb}}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project dir; the working directory is an empty sibling (nothing found there)."""
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURES / "v11_snowflake.json", tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text('data_sources:\n  prod: wh_prod\n  "*": wh\n')
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    return tmp_path


def _orders_source(args: list[str], env: dict[str, str | None], cwd: Path) -> tuple[str, str]:
    runner = CliRunner()
    base = {"HOME": str(cwd / "home"), "ARMOR_API_KEY": None, "DBT_TARGET": None}
    base |= {"DBT_PROJECT_DIR": None, "DBT_PROFILES_DIR": None}
    result = runner.invoke(command, [*args, "--format", "json"], env={**base, **env})
    assert result.exception is None, result.output
    rows = {r["unique_id"]: r for r in json.loads(result.stdout)["names"]}
    table = runner.invoke(command, args, env={**base, **env})
    return rows["source.shop.raw.orders"]["data_source"], table.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["-t", "prod"], {}, "wh_prod"),
        ([], {"DBT_TARGET": "prod"}, "wh_prod"),
        ([], {}, "wh"),
        (["-t", "dev"], {"DBT_TARGET": "prod"}, "wh"),
    ],
)
def test_map_uses_the_target_dbt_would(
    project: Path, args: list[str], env: dict[str, str | None], expected: str
) -> None:
    got, _ = _orders_source(["--project-dir", str(project), *args], env, project)
    assert got == expected


def test_profile_default_and_project_dir_from_env(project: Path) -> None:
    (project / "profiles").mkdir()
    (project / "profiles" / "profiles.yml").write_text(PROFILES)
    env: dict[str, str | None] = {
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(project / "profiles"),
    }
    got, stderr = _orders_source([], env, project)
    assert got == "wh_prod"
    assert "target prod (profile default), data source wh_prod (data_sources['prod'])" in stderr
