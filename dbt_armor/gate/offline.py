"""The gate's no-dbt mode: a Prepared selection from a manifest.json file and the dbt arguments.

Reads only the manifest; never imports or runs dbt. YAML selectors come from the manifest.
Selection flags it cannot evaluate without dbt (--state, --defer...) are one-line UsageErrors
telling the user to drop --manifest.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from dbt_armor.dbt.args import split_args
from dbt_armor.dbt.invocation import Invocation
from dbt_armor.errors import UsageError
from dbt_armor.gate.pipeline import Prepared
from dbt_armor.project.manifest import Manifest, load_manifest
from dbt_armor.project.select import Selector

NEEDS_DBT = ("--state", "--defer-state", "--defer", "--favor-state")


def selection_flags(
    command: str, dbt_args: Sequence[str]
) -> tuple[list[str], list[str], str | None]:
    """The --select and --exclude values and the --selector name of a dbt command line
    (UsageError for the flags that need dbt)."""
    args = split_args(command, dbt_args)
    select: list[str] = []
    exclude: list[str] = []
    selector: list[str] = []
    current: list[str] | None = None
    for item in args.select_args:
        if item in NEEDS_DBT:
            raise UsageError(
                f"{item} cannot be evaluated from a manifest alone",
                hint="run `dbt-armor gate` without --manifest so dbt selects",
            )
        if item == "--select":
            current = select
        elif item == "--exclude":
            current = exclude
        elif item == "--selector":
            current = selector
        elif item.startswith("-"):
            current = None
        elif current is not None:
            current.append(item)
    return select, exclude, selector[-1] if selector else None


def select_on_manifest(
    manifest: Manifest, command: str, dbt_args: Sequence[str]
) -> tuple[frozenset[str], dict[str, str]]:
    """The nodes ``dbt ls`` would select for ``command`` with ``dbt_args`` on ``manifest``,
    and each one's fqn selector (what skip mode excludes)."""
    args = split_args(command, dbt_args)
    select, exclude, selector = selection_flags(command, dbt_args)
    chosen = Selector(manifest).select(
        select, exclude, args.resource_types, args.exclude_resource_types, selector
    )
    return chosen, {uid: ".".join(manifest.nodes[uid].fqn) for uid in chosen}


def prepare_from_manifest(manifest_path: Path, invocation: Invocation) -> Prepared:
    """Load ``manifest_path`` and select on it as ``dbt ls`` would for the invocation's command.

    Gate files go next to the manifest; the target and data source come from the invocation.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    manifest = load_manifest(manifest_path)
    timings["parse"] = time.perf_counter() - started
    started = time.perf_counter()
    args = invocation.args
    chosen, selectors = select_on_manifest(manifest, args.command, args.argv)
    timings["select"] = time.perf_counter() - started
    return Prepared(
        manifest,
        Path(manifest_path),
        chosen,
        selectors,
        None,
        Path(manifest_path).parent,
        timings,
        invocation,
    )
