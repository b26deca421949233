"""resolve_invocation: target, profile, directories and target path resolved as dbt does.

Files only in a temp dir; the environment is a plain mapping (no os.environ).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_armor.dbt.invocation import render_plain, resolve_invocation

PROFILES = """
shop:
  target: "{target}"
  outputs:
    dev: {{type: duckdb, path: dev.duckdb, password: "{{{{ env_var('SECRET_PW') }}}}"}}
    prod: {{type: duckdb, path: prod.duckdb}}
"""


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """tmp/proj (dbt_project.yml, profile shop) and tmp/profiles/profiles.yml (default dev)."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text(PROFILES.format(target="dev"))
    return tmp_path


def _resolve(tree: Path, argv: list[str], env: dict[str, str] | None = None, cwd: str = "proj"):  # type: ignore[no-untyped-def]
    return resolve_invocation("run", argv, env or {}, tree / cwd, home=tree / "home")


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--target", "prod"], {}, ("prod", "flag")),
        (["-t", "prod"], {}, ("prod", "flag")),
        (["-tprod"], {}, ("prod", "flag")),
        (["--target=prod"], {}, ("prod", "flag")),
        ([], {"DBT_TARGET": "prod"}, ("prod", "env")),
        (["-t", "dev"], {"DBT_TARGET": "prod"}, ("dev", "flag")),
        ([], {}, ("dev", "profile default")),
    ],
)
def test_target_precedence(
    tree: Path, argv: list[str], env: dict[str, str], expected: tuple[str, str]
) -> None:
    inv = _resolve(tree, [*argv, "--profiles-dir", str(tree / "profiles")], env)
    assert (inv.target.value, inv.target.origin) == expected
    assert inv.argv[: len(argv)] == tuple(argv)  # forwarded untouched


def test_profiles_dir_from_env_and_default_target_from_profile(tree: Path) -> None:
    (tree / "profiles" / "profiles.yml").write_text(PROFILES.format(target="prod"))
    inv = _resolve(tree, [], {"DBT_PROFILES_DIR": str(tree / "profiles")})
    assert (inv.profiles_dir, inv.profiles_dir_from) == (tree / "profiles", "env")
    assert (inv.target.value, inv.target.origin) == ("prod", "profile default")
    assert (inv.profile.value, inv.profile.origin) == ("shop", "dbt_project.yml")


def test_profiles_yml_in_the_working_directory_then_home(tree: Path) -> None:
    assert _resolve(tree, []).profiles_dir == tree / "home" / ".dbt"
    (tree / "proj" / "profiles.yml").write_text(PROFILES.format(target="prod"))
    inv = _resolve(tree, [])
    assert inv.profiles_dir == tree / "proj" and inv.target.value == "prod"


def test_project_dir_by_flag_env_and_parent_search(tree: Path) -> None:
    (tree / "proj" / "models").mkdir()
    searched = _resolve(tree, [], cwd="proj/models")
    assert (searched.project_dir, searched.project_dir_from) == (tree / "proj", "search")
    by_env = _resolve(tree, [], {"DBT_PROJECT_DIR": str(tree / "proj")}, cwd=".")
    assert (by_env.project_dir, by_env.project_dir_from) == (tree / "proj", "env")
    by_flag = _resolve(tree, ["--project-dir", "proj"], {"DBT_PROJECT_DIR": "/nowhere"}, cwd=".")
    assert (by_flag.project_dir, by_flag.project_dir_from) == (tree / "proj", "flag")


def test_profile_by_flag_and_env(tree: Path) -> None:
    argv = ["--profiles-dir", str(tree / "profiles")]
    assert _resolve(tree, [*argv, "--profile", "other"]).profile.value == "other"
    env = _resolve(tree, argv, {"DBT_PROFILE": "other"})
    assert (env.profile.value, env.profile.origin) == ("other", "env")
    assert env.target.value is None and "not found" in (env.target.note or "")


def test_target_path_precedence(tree: Path) -> None:
    proj = tree / "proj"
    assert _resolve(tree, []).target_path == proj / "target"
    (proj / "dbt_project.yml").write_text("name: shop\nprofile: shop\ntarget-path: out\n")
    assert _resolve(tree, []).target_path_from == "dbt_project.yml"
    assert _resolve(tree, [], {"DBT_TARGET_PATH": "envt"}).target_path == proj / "envt"
    flagged = _resolve(tree, ["--target-path", "t2"], {"DBT_TARGET_PATH": "envt"})
    assert (flagged.target_path, flagged.target_path_from) == (proj / "t2", "flag")


@pytest.mark.parametrize(
    ("raw", "env", "expected"),
    [
        ("prod", {}, "prod"),
        ("{{ env_var('DBT_TGT', 'dev') }}", {}, "dev"),
        ('{{ env_var("DBT_TGT", "dev") }}', {"DBT_TGT": "prod"}, "prod"),
        ("{{ env_var('DBT_TGT') }}", {"DBT_TGT": "ci"}, "ci"),
        ("{{ env_var('DBT_TGT') }}", {}, None),
        ("{{ 'prod' if x else 'dev' }}", {}, None),
        (["a"], {}, None),
    ],
)
def test_profile_target_renders_env_var_only(
    raw: object, env: dict[str, str], expected: str | None
) -> None:
    assert render_plain(raw, env)[0] == expected


def test_jinja_default_target_is_resolved_and_secrets_are_not_rendered(tree: Path) -> None:
    (tree / "profiles" / "profiles.yml").write_text(
        PROFILES.format(target="{{ env_var('DBT_TGT', 'dev') }}")
    )
    argv = ["--profiles-dir", str(tree / "profiles")]
    assert _resolve(tree, argv, {"DBT_TGT": "prod"}).target.value == "prod"
    inv = _resolve(tree, argv)
    assert (inv.target.value, inv.target.origin) == ("dev", "profile default")
    assert "SECRET_PW" not in str(inv.describe())
