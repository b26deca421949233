"""Rewrite a dbt command line so it selects only what has new upstream data (pure).

Reads dbt's selection flags through dbt.args' flag table (one reader); owns the rewrite:
each user ``--select`` item is intersected with ``source_status:fresher+``, the nodes the
source-less rule keeps are added, and ``--state`` points at the previous artifact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dbt_armor.dbt.args import SELECTION_FLAGS

FRESHER = "source_status:fresher+"


@dataclass(frozen=True)
class UserSelection:
    """The selection flags of one dbt command line, and every other argument in order."""

    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    state: str | None = None
    rest: tuple[str, ...] = field(default_factory=tuple)


def split_selection(argv: Sequence[str]) -> UserSelection:
    """Pull ``--select``/``--exclude``/``--selector``/``--state`` (any spelling) out of argv.

    Values are split on whitespace, as dbt does (``--select "a b"`` is two items).
    """
    found: dict[str, list[str]] = {"--select": [], "--exclude": [], "--selector": [], "--state": []}
    rest: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        arg = items[i]
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        canonical = SELECTION_FLAGS.get(name)
        if canonical not in found:
            rest.append(arg)
            i += 1
            continue
        i += 1
        values = [inline] if eq else []
        if not eq:
            while i < len(items) and not items[i].startswith("-"):
                values.append(items[i])
                i += 1
        assert canonical is not None
        found[canonical] += [v for value in values for v in value.split()]
    return UserSelection(
        select=tuple(found["--select"]),
        exclude=tuple(found["--exclude"]),
        selector=found["--selector"][-1] if found["--selector"] else None,
        state=found["--state"][-1] if found["--state"] else None,
        rest=tuple(rest),
    )


def narrowed_args(
    user: UserSelection,
    *,
    state_dir: str,
    kept: Iterable[str] = (),
    explicit: Iterable[str] | None = None,
) -> list[str]:
    """dbt arguments selecting ``user``'s selection ∩ ``source_status:fresher+``, plus ``kept``.

    ``explicit`` replaces the user's own selection by these selectors (used when dbt would
    have applied a YAML selector, which cannot be intersected on the command line); the
    user's ``--exclude`` is then already part of it and is dropped.
    """
    base = list(explicit) if explicit is not None else list(user.select)
    items = [f"{item},{FRESHER}" for item in base] if base else [FRESHER]
    if explicit is not None and not base:
        items = []  # the user's selection was empty: it stays empty
    items += sorted(set(kept))
    out = list(user.rest)
    if items:
        out += ["--select", *items]
    else:  # nothing to build; a selector no node matches keeps dbt's selection empty
        out += ["--select", "fqn:__dbt_armor_nothing_selected__"]
    if user.exclude and explicit is None:
        out += ["--exclude", *user.exclude]
    return [*out, "--state", state_dir]
