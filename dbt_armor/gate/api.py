"""The Python API for orchestrators: ``dbt_armor.gate(...) -> GateResult``.

Wires settings, dbt parsing/selection, names and the client into one gate evaluation, and
writes the artifacts. Exposes ``prepare``/``check`` for the CLI; never runs dbt models itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dbt_armor.errors import GateBlocked
from dbt_armor.gate.engine import GateResult, evaluate, policies_for, source_infos
from dbt_armor.gate.fetch import targets_from
from dbt_armor.gate.policy import (
    parse_flag_pairs,
    parse_run_options,
    split_project_gate,
)
from dbt_armor.project.manifest import Manifest
from dbt_armor.report.artifact import write_gate_json, write_skipped

__all__ = ["GateResult", "Prepared", "check", "gate", "prepare"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Prepared:
    """A parsed project and resolved selection, ready to gate (and then to run)."""

    manifest: Any
    manifest_path: Path
    selected: frozenset[str]
    selectors: dict[str, str]
    invoker: Any
    target_dir: Path
    timings: dict[str, float]


def _selectors(manifest: Any, selection: Any) -> dict[str, str]:
    ids = list(getattr(selection, "unique_ids", []) or [])
    raw = getattr(selection, "selectors", None)
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    if isinstance(raw, list | tuple) and len(raw) == len(ids):
        out = {str(u): str(s) for u, s in zip(ids, raw, strict=True)}
    for uid in ids:
        node = manifest.nodes.get(uid)
        if uid not in out and node is not None and getattr(node, "fqn", None):
            out[uid] = ".".join(node.fqn)
    return out


_DEFAULT_SELECTOR = re.compile(r"^\s*-?\s*default\s*:", re.M)


def _select_everything(
    project_dir: Path, manifest: Any, dbt_args: Sequence[str], command: str
) -> tuple[frozenset[str], dict[str, str]] | None:
    """With no selection flags dbt selects every node of the command's resource types: take
    them from the manifest instead of asking ``dbt ls``. None when ls is needed (a selection
    flag, or a selectors.yml that may declare a default selector).
    """
    from dbt_armor.dbt.args import SELECTION_FLAGS, SELECTION_SWITCHES, split_args
    from dbt_armor.project.select import Selector

    if not isinstance(manifest, Manifest):
        return None
    flags = {a.partition("=")[0] for a in dbt_args if a.startswith("-")}
    if flags & (set(SELECTION_FLAGS) | SELECTION_SWITCHES):
        return None
    args = split_args(command, dbt_args)
    project = Path(args.project_dir) if args.project_dir else Path(project_dir)
    for name in ("selectors.yml", "selectors.yaml"):
        file = project / name
        if file.is_file() and _DEFAULT_SELECTOR.search(file.read_text(errors="replace")):
            return None
    chosen = Selector(manifest).select((), (), args.resource_types, args.exclude_resource_types)
    return chosen, {uid: ".".join(manifest.nodes[uid].fqn) for uid in chosen}


def prepare(
    project_dir: Path,
    dbt_args: Sequence[str],
    *,
    profiles_dir: Path | None = None,
    executable: str | None = None,
    mode: str = "auto",
    command: str = "build",
) -> Prepared:
    """Parse the project once and let dbt's own selector engine resolve the selection.

    ``command`` is the dbt command that will run (run|build|seed|snapshot): it decides which
    resource types are selected (``run`` selects models only, so the sources feeding seeds or
    snapshots are not gated). ``dbt-armor gate`` uses ``build`` unless told otherwise.
    """
    from dbt_armor.dbt import make_invoker
    from dbt_armor.project.manifest import load_manifest

    timings: dict[str, float] = {}
    started = time.perf_counter()
    invoker = make_invoker(project_dir, profiles_dir, executable=executable, mode=mode)
    manifest_path = Path(invoker.parse(list(dbt_args), command=command))
    manifest = load_manifest(manifest_path)  # our typed subset of what dbt just wrote
    timings["parse"] = time.perf_counter() - started
    started = time.perf_counter()
    everything = _select_everything(project_dir, manifest, dbt_args, command)
    if everything is not None:
        selected, selectors = everything
    else:
        selection = invoker.select(list(dbt_args), command=command)
        selected = frozenset(str(u) for u in getattr(selection, "unique_ids", []) or [])
        selectors = _selectors(manifest, selection)
    timings["select"] = time.perf_counter() - started
    return Prepared(
        manifest,
        manifest_path,
        selected,
        selectors,
        invoker,
        manifest_path.parent,
        timings,
    )


def check(
    prepared: Prepared,
    settings: Any,
    *,
    client: Any,
    target: str | None = None,
    flag_policy: Sequence[str] = (),
    run_overrides: dict[str, Any] | None = None,
    refresh: bool = False,
    now: Callable[[], datetime] = utcnow,
    write: bool = True,
) -> GateResult:
    """Gate a prepared selection; writes armor_gate.json (and armor_skipped.txt) if ``write``."""
    from dbt_armor.project.graph import descendants, upstream_sources
    from dbt_armor.project.naming import NameResolver

    manifest = prepared.manifest
    project_policy, options = split_project_gate(
        getattr(settings, "gate", None) or {}, "dbt_armor.yml gate"
    )
    options = parse_run_options(run_overrides or {}, "command line", base=options)
    upstream = upstream_sources(manifest, prepared.selected)
    resolver = NameResolver(
        manifest,
        target,
        getattr(settings, "data_sources", {}),
        getattr(settings, "naming_case", "auto"),
    )
    resolved = {uid: resolver.resolve(uid) for uid in upstream}
    names = {uid: q.full for uid, q in resolved.items()}
    infos = source_infos(manifest, upstream, names)
    policies = policies_for(manifest, upstream, project_policy, parse_flag_pairs(flag_policy))
    result = evaluate(
        infos=infos,
        policies=policies,
        targets=targets_from(resolved),
        selected=prepared.selected,
        options=options,
        client=client,
        now=now,
        target_dir=prepared.target_dir,
        descendants=lambda ids: set(descendants(manifest, ids)),
        selectors=prepared.selectors,
        refresh=refresh,
        timings=prepared.timings,
    )
    if write:
        write_outputs(prepared.target_dir, result)
    return result


def write_outputs(target_dir: Path, result: GateResult) -> None:
    write_gate_json(target_dir, result.artifact)
    if result.skipped_selectors and result.options.mode == "skip":
        write_skipped(target_dir, result.skipped_selectors)


def gate(
    project_dir: str | Path = ".",
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    *,
    selector: str | None = None,
    target: str | None = None,
    profiles_dir: str | Path | None = None,
    vars: str | None = None,
    policy: dict[str, str] | None = None,
    on_api_error: str | None = None,
    mode: str | None = None,
    refresh: bool = False,
    api_url: str | None = None,
    client: Any = None,
    dbt_mode: str = "auto",
    dbt_executable: str | None = None,
    command: str = "build",
    raise_on_block: bool = False,
    now: Callable[[], datetime] = utcnow,
) -> GateResult:
    """Check the upstream sources of a dbt selection; for Airflow/Dagster/Prefect tasks.

    ``command`` is the dbt command the caller will run next (``run`` gates only the sources
    feeding models; ``build`` also those feeding seeds and snapshots).
    Returns a GateResult (``.exit_code``, ``.label``, ``.decision``); with
    ``raise_on_block=True`` raises GateBlocked (``.result`` holds the GateResult) when the gate
    blocks or the platform is unavailable under ``on_api_error: fail``.
    """
    from dbt_armor.api.client import ArmorClient
    from dbt_armor.config import resolve_settings

    pdir = Path(project_dir)
    args: list[str] = ["--project-dir", str(pdir)]
    for flag, value in (("--select", select), ("--exclude", exclude)):
        if value:
            args += [flag, *([value] if isinstance(value, str) else list(value))]
    for flag, single in (("--selector", selector), ("--target", target), ("--vars", vars)):
        if single:
            args += [flag, single]
    if profiles_dir:
        args += ["--profiles-dir", str(profiles_dir)]
    settings = resolve_settings({"api_url": api_url}, project_dir=pdir)
    if client is None:
        settings.require_key()  # before dbt parses: a missing key is known up front
    overrides = {"on_api_error": on_api_error, "mode": mode}
    prepared = prepare(
        pdir,
        args,
        profiles_dir=Path(profiles_dir) if profiles_dir else None,
        executable=dbt_executable,
        mode=dbt_mode,
        command=command,
    )
    own = client is None
    if own:
        client = ArmorClient.from_settings(settings)
    try:
        pairs = [f"{k}={v}" for k, v in (policy or {}).items()]
        result = check(
            prepared,
            settings,
            client=client,
            target=target,
            flag_policy=pairs,
            run_overrides=overrides,
            refresh=refresh,
            now=now,
        )
    finally:
        if own:
            client.close()
    if raise_on_block and result.blocked:
        raise GateBlocked(
            f"dbt-armor gate: {result.label} ({result.note or 'see armor_gate.json'})",
            result=result,
        )
    return result
