"""One dbt invocation as dbt itself resolves it: target, profile, directories, target path, vars.

The only reader of -t/--target, DBT_TARGET, DBT_PROJECT_DIR, DBT_PROFILES_DIR, DBT_TARGET_PATH,
the project's ``profile:`` and the profile's default ``target:``. Reads two YAML files, never
renders Jinja beyond ``env_var('NAME', 'default')``, and never sees secrets from profiles.yml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dbt_armor.dbt.args import DbtArgs, split_args
from dbt_armor.yamlload import safe_load

# How a value was chosen; shown in reports so a user can see why a data source was used.
FLAG, ENV, PROFILE_DEFAULT, PROJECT_FILE, SEARCH, DEFAULT, UNRESOLVED = (
    "flag",
    "env",
    "profile default",
    "dbt_project.yml",
    "search",
    "default",
    "unresolved",
)

_ENV_VAR = re.compile(
    r"""^\s*\{\{\s*env_var\(\s*(['"])(?P<name>[^'"]+)\1\s*"""
    r"""(?:,\s*(['"])(?P<default>[^'"]*)\3\s*)?\)\s*\}\}\s*$"""
)


@dataclass(frozen=True)
class Choice:
    """A resolved value and how it was chosen (flag, env, profile default, ...)."""

    value: str | None
    origin: str
    note: str | None = None

    def to_json(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"value": self.value, "from": self.origin}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Invocation:
    """What ``dbt <command> <argv>`` will use, resolved once. ``args.argv`` is forwarded as is."""

    args: DbtArgs
    project_dir: Path
    project_dir_from: str
    profiles_dir: Path
    profiles_dir_from: str
    profile: Choice
    target: Choice
    target_path: Path
    target_path_from: str
    vars: str | None

    @property
    def command(self) -> str:
        return self.args.command

    @property
    def argv(self) -> tuple[str, ...]:
        return self.args.argv

    def describe(self) -> dict[str, Any]:
        """The facts a report prints: target, profile and directories with their origins."""
        return {
            "target": self.target.to_json(),
            "profile": self.profile.to_json(),
            "project_dir": {"value": str(self.project_dir), "from": self.project_dir_from},
            "profiles_dir": {"value": str(self.profiles_dir), "from": self.profiles_dir_from},
            "target_path": {"value": str(self.target_path), "from": self.target_path_from},
        }


def _read_yaml(path: Path) -> Any:
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def render_plain(value: Any, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """A YAML scalar as dbt would render it, for plain text and ``{{ env_var(...) }}`` only.

    Returns (value, None) or (None, why it was not resolved); never renders anything else.
    """
    if value is None:
        return None, None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None, "not a plain string"
    text = str(value)
    if "{{" not in text and "{%" not in text:
        return text, None
    match = _ENV_VAR.match(text)
    if match is None:
        return None, f"Jinja {text.strip()!r} is not rendered by dbt-armor"
    name, default = match.group("name"), match.group("default")
    if name in env:
        return env[name], None
    if default is not None:
        return default, None
    return None, f"env var {name} is not set"


def _project_dir(args: DbtArgs, env: Mapping[str, str], cwd: Path) -> tuple[Path, str]:
    if args.project_dir:
        return cwd / args.project_dir, FLAG
    if env.get("DBT_PROJECT_DIR"):
        return cwd / env["DBT_PROJECT_DIR"], ENV
    for candidate in (cwd, *cwd.parents):  # dbt searches the working directory and its parents
        if (candidate / "dbt_project.yml").is_file():
            return candidate, SEARCH if candidate != cwd else DEFAULT
    return cwd, DEFAULT


def _profiles_dir(args: DbtArgs, env: Mapping[str, str], cwd: Path, home: Path) -> tuple[Path, str]:
    if args.profiles_dir:
        return cwd / args.profiles_dir, FLAG
    if env.get("DBT_PROFILES_DIR"):
        return cwd / env["DBT_PROFILES_DIR"], ENV
    if (cwd / "profiles.yml").is_file():  # dbt looks in the working directory, not the project
        return cwd, DEFAULT
    return home / ".dbt", DEFAULT


def _profile(args: DbtArgs, env: Mapping[str, str], project: Any) -> Choice:
    flagged = args.values.get("--profile")
    if flagged:
        return Choice(flagged, FLAG)
    if env.get("DBT_PROFILE"):
        return Choice(env["DBT_PROFILE"], ENV)
    raw = project.get("profile") if isinstance(project, dict) else None
    value, why = render_plain(raw, env)
    if value is None:
        return Choice(None, UNRESOLVED, why or "dbt_project.yml names no profile")
    return Choice(value, PROJECT_FILE)


def _target(args: DbtArgs, env: Mapping[str, str], profile: Choice, profiles_dir: Path) -> Choice:
    if args.target:
        return Choice(args.target, FLAG)
    if env.get("DBT_TARGET"):
        return Choice(env["DBT_TARGET"], ENV)
    if profile.value is None:
        return Choice(None, UNRESOLVED, "the profile is unknown")
    data = _read_yaml(profiles_dir / "profiles.yml")
    entry = data.get(profile.value) if isinstance(data, dict) else None
    if not isinstance(entry, dict):
        where = profiles_dir / "profiles.yml"
        return Choice(None, UNRESOLVED, f"profile {profile.value!r} not found in {where}")
    if "target" not in entry:
        return Choice("default", PROFILE_DEFAULT)  # dbt's own fallback
    value, why = render_plain(entry.get("target"), env)  # only `target:`: secrets stay unread
    if value is None:
        return Choice(None, UNRESOLVED, why)
    return Choice(value, PROFILE_DEFAULT)


def _target_path(
    args: DbtArgs, env: Mapping[str, str], project_dir: Path, project: Any
) -> tuple[Path, str]:
    if args.target_path:
        return project_dir / args.target_path, FLAG
    if env.get("DBT_TARGET_PATH"):
        return project_dir / env["DBT_TARGET_PATH"], ENV
    raw = project.get("target-path") if isinstance(project, dict) else None
    value, _ = render_plain(raw, env)
    if value:
        return project_dir / value, PROJECT_FILE
    return project_dir / "target", DEFAULT


def resolve_invocation(
    command: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    home: Path | None = None,
) -> Invocation:
    """Resolve ``dbt <command> <argv>`` run in ``cwd`` with ``env`` the way dbt does.

    Precedence (dbt's own): flag > env var > file > default. The project dir is searched in
    ``cwd`` and its parents; profiles.yml in ``cwd``, then ``~/.dbt``.
    """
    args = split_args(command, argv)
    cwd = Path(cwd).absolute()
    project_dir, project_from = _project_dir(args, env, cwd)
    profiles_dir, profiles_from = _profiles_dir(args, env, cwd, home or Path.home())
    project = _read_yaml(project_dir / "dbt_project.yml")
    profile = _profile(args, env, project)
    target = _target(args, env, profile, profiles_dir)
    target_path, target_path_from = _target_path(args, env, project_dir, project)
    return Invocation(
        args=args,
        project_dir=project_dir,
        project_dir_from=project_from,
        profiles_dir=profiles_dir,
        profiles_dir_from=profiles_from,
        profile=profile,
        target=target,
        target_path=target_path,
        target_path_from=target_path_from,
        vars=args.values.get("--vars"),
    )


def for_project_command(
    project_dir: Path | None,
    target: str | None,
    env: Mapping[str, str],
    cwd: Path,
    *,
    target_path: Path | None = None,
) -> Invocation:
    """The invocation a project command (map, sync, lineage, ci, doctor) reads: its own
    ``--project-dir`` / ``--target`` / ``--target-path`` when given (None when not), else
    dbt's environment variables, files and search order, exactly as for the gate."""
    argv: list[str] = []
    for flag, value in (
        ("--project-dir", project_dir),
        ("--target", target),
        ("--target-path", target_path),
    ):
        if value is not None:
            argv += [flag, str(value)]
    return resolve_invocation("ls", argv, env, cwd)
