"""Split a dbt command line into what parse and ls need (pure: no dbt, no os.environ).

Owns the flag tables: which flags select nodes, which configure the project, which are run-only.
It never decides what dbt-armor's own options are (the CLI strips those first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Flags that change what is parsed (forwarded to parse, ls and the run).
PROJECT_FLAGS: Mapping[str, str] = {
    "--target": "--target",
    "-t": "--target",
    "--profile": "--profile",
    "--project-dir": "--project-dir",
    "--profiles-dir": "--profiles-dir",
    "--target-path": "--target-path",
    "--vars": "--vars",
}
# Flags that change which nodes are selected (forwarded to ls only). Value = canonical name.
SELECTION_FLAGS: Mapping[str, str] = {
    "--select": "--select",
    "-s": "--select",
    "--models": "--select",
    "-m": "--select",
    "--exclude": "--exclude",
    "--selector": "--selector",
    "--state": "--state",
    "--defer-state": "--defer-state",
}
SELECTION_SWITCHES = frozenset({"--defer", "--no-defer", "--favor-state", "--no-favor-state"})
RESOURCE_FLAGS = frozenset({"--resource-type", "--resource-types"})
EXCLUDE_RESOURCE_FLAGS = frozenset({"--exclude-resource-type", "--exclude-resource-types"})

# What each wrapped command materialises (tests are irrelevant: they only read models).
COMMAND_RESOURCE_TYPES: Mapping[str, tuple[str, ...]] = {
    "run": ("model",),
    "build": ("model", "seed", "snapshot"),
    "seed": ("seed",),
    "snapshot": ("snapshot",),
    "compile": ("model",),
}
DEFAULT_RESOURCE_TYPES = ("model", "seed", "snapshot")


@dataclass(frozen=True)
class DbtArgs:
    """One dbt command line, split for the wrapper. ``argv`` is kept unchanged for the run."""

    command: str
    argv: tuple[str, ...]
    parse_args: tuple[str, ...]
    select_args: tuple[str, ...]
    resource_types: tuple[str, ...]
    exclude_resource_types: tuple[str, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def project_dir(self) -> str | None:
        return self.values.get("--project-dir")

    @property
    def profiles_dir(self) -> str | None:
        return self.values.get("--profiles-dir")

    @property
    def target(self) -> str | None:
        return self.values.get("--target")

    @property
    def target_path(self) -> str | None:
        return self.values.get("--target-path")

    def ls_args(self) -> list[str]:
        """Arguments for ``dbt ls`` (after ``ls``), without the output options."""
        out = [*self.select_args]
        if self.resource_types:
            out += ["--resource-type", *self.resource_types]
        if self.exclude_resource_types:
            out += ["--exclude-resource-type", *self.exclude_resource_types]
        return out


# Short flags that click also accepts with the value attached (``-tprod``, ``-smy_model``).
_SHORT_WITH_VALUE = frozenset({"-t", "-s", "-m"})


def _flag_and_inline(arg: str) -> tuple[str, str | None]:
    if arg.startswith("--") and "=" in arg:
        name, _, value = arg.partition("=")
        return name, value
    if not arg.startswith("--") and arg[:2] in _SHORT_WITH_VALUE and len(arg) > 2:
        return arg[:2], arg[2:]
    return arg, None


def split_args(command: str, argv: Sequence[str]) -> DbtArgs:
    """Classify ``argv`` (the dbt arguments after the command) for parse and ls.

    Wrapped commands take no positional arguments, so every bare item after a flag is one of
    its values (selection flags take several: ``--select a b``).
    """
    parse: list[str] = []
    select: list[str] = []
    user_types: list[str] = []
    excluded_types: list[str] = []
    values: dict[str, str] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        name, inline = _flag_and_inline(items[i])
        i += 1
        taken: list[str] = [] if inline is None else [inline]
        if inline is None:
            while i < len(items) and not items[i].startswith("-"):
                taken.append(items[i])
                i += 1
        if name in PROJECT_FLAGS:
            canonical = PROJECT_FLAGS[name]
            parse += [canonical, *taken]
            if taken:
                values[canonical] = taken[-1]
        elif name in SELECTION_FLAGS:
            select += [SELECTION_FLAGS[name], *taken]
        elif name in SELECTION_SWITCHES:
            select.append(name)
        elif name in RESOURCE_FLAGS:
            user_types += [t for value in taken for t in value.split(",") if t]
        elif name in EXCLUDE_RESOURCE_FLAGS:
            excluded_types += [t for value in taken for t in value.split(",") if t]
    wanted = COMMAND_RESOURCE_TYPES.get(command, DEFAULT_RESOURCE_TYPES)
    if user_types:
        wanted = tuple(t for t in wanted if t in user_types)
    return DbtArgs(
        command=command,
        argv=tuple(argv),
        parse_args=tuple(parse),
        select_args=tuple(parse + select),
        resource_types=wanted,
        exclude_resource_types=tuple(excluded_types),
        values=values,
    )
