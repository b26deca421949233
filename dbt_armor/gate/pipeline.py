"""The gate pipeline: prepare (parse and select) -> check (names, policy, facts, verdict) -> write.

The policy, wait and write sequence around ``check`` is ``gate.entry``'s; the Python API is
``gate.public``. Never runs dbt models itself; every file it writes is written once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbt_armor.errors import ConfigError
from dbt_armor.gate.engine import GateResult, evaluate, policies_for, source_infos
from dbt_armor.gate.fetch import targets_from
from dbt_armor.gate.policy import (
    RUN_KEYS,
    RunOptions,
    parse_flag_pairs,
    parse_run_options,
    split_project_gate,
)
from dbt_armor.gate.results import artifact
from dbt_armor.project.manifest import Manifest, Metadata
from dbt_armor.report.artifact import write_gate_json, write_skipped

if TYPE_CHECKING:
    from dbt_armor.config import Settings
    from dbt_armor.dbt.invocation import Invocation
    from dbt_armor.dbt.invoker import DbtInvoker
    from dbt_armor.dbt.selection import Selection
    from dbt_armor.gate.prefetch import Prefetch

__all__ = ["GateResult", "Prepared", "check", "prepare", "run_options", "write_outputs"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Prepared:
    """A parsed project and resolved selection, ready to gate (and then to run)."""

    manifest: Manifest
    manifest_path: Path
    selected: frozenset[str]
    selectors: Mapping[str, str]
    invoker: DbtInvoker | None
    target_dir: Path | None  # None: a manifest given in memory with nowhere to write
    timings: Mapping[str, float] = field(default_factory=dict)
    invocation: Invocation | None = None


def _selectors(manifest: Manifest, selection: Selection) -> dict[str, str]:
    out = dict(selection.selectors) if isinstance(selection.selectors, Mapping) else {}
    for uid in selection.unique_ids:
        node = manifest.nodes.get(uid)
        if uid not in out and node is not None and node.fqn:
            out[uid] = ".".join(node.fqn)
    return out


def _select_everything(
    invocation: Invocation, manifest: Manifest
) -> tuple[frozenset[str], dict[str, str]] | None:
    """With no selection flags dbt selects every node of the command's resource types: take
    them from the manifest instead of asking ``dbt ls``. None when ls is needed (a selection
    flag, or a YAML selector declared ``default: true``, which dbt then applies).
    """
    from dbt_armor.dbt.args import SELECTION_FLAGS, SELECTION_SWITCHES
    from dbt_armor.project.select import Selector
    from dbt_armor.project.selectors import default_selector

    args = invocation.args
    flags = {a.partition("=")[0] for a in args.argv if a.startswith("-")}
    flags |= {a[:2] for a in args.argv if a[:2] in ("-s", "-m") and not a.startswith("--")}
    if flags & (set(SELECTION_FLAGS) | SELECTION_SWITCHES):
        return None
    if default_selector(manifest.selectors) is not None:
        return None
    chosen = Selector(manifest).select((), (), args.resource_types, args.exclude_resource_types)
    return chosen, {uid: ".".join(manifest.nodes[uid].fqn) for uid in chosen}


# A manifest without nodes: ``_select_everything(invocation, _NO_NODES) is None`` says whether
# the invocation needs dbt ls before anything is parsed.
_NO_NODES = Manifest(metadata=Metadata())


def prepare(
    invocation: Invocation,
    *,
    executable: str | None = None,
    mode: str = "auto",
    runs_next: bool = False,
) -> Prepared:
    """Parse the project once and let dbt's own selector engine resolve the selection.

    ``invocation.command`` decides which resource types are selected (``run`` selects models
    only, so the sources feeding seeds or snapshots are not gated). ``runs_next``: the caller
    runs dbt with this invoker next, so an in-process parse may leave manifest.json to that
    run (the caller calls ``invoker.write_manifest()`` when it does not run after all).
    """
    from dbt_armor.dbt import make_invoker
    from dbt_armor.project.manifest import load_manifest

    timings: dict[str, float] = {}
    started = time.perf_counter()
    invoker = make_invoker(None, None, executable=executable, mode=mode)
    argv = list(invocation.argv)
    selection = None
    if invoker.mode == "subprocess" and _select_everything(invocation, _NO_NODES) is None:
        # ls is needed anyway: it parses and writes the manifest (one dbt process, not two)
        manifest_path, selection = invoker.select_and_parse(argv, command=invocation.command)
        manifest = load_manifest(manifest_path)  # our typed subset of what dbt just wrote
    elif runs_next:
        manifest, manifest_path = invoker.parse_typed(argv, command=invocation.command)
    else:
        manifest_path = Path(invoker.parse(argv, command=invocation.command))
        manifest = load_manifest(manifest_path)
    timings["parse"] = time.perf_counter() - started
    started = time.perf_counter()
    everything = None if selection is not None else _select_everything(invocation, manifest)
    if everything is not None:
        selected, selectors = everything
    else:
        if selection is None:
            selection = invoker.select(argv, command=invocation.command)
        selected = frozenset(str(u) for u in selection.unique_ids)
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
        invocation,
    )


def _target_name(prepared: Prepared, data_sources: Mapping[str, str]) -> str | None:
    """The dbt target for naming; a ConfigError when dbt's target cannot be known here but
    the data source depends on it (fail closed rather than check the wrong data source)."""
    inv = prepared.invocation
    if inv is None or inv.target.value is not None:
        return None if inv is None else inv.target.value
    per_target = sorted(k for k in data_sources if k != "*")
    if per_target:
        raise ConfigError(
            f"cannot tell which dbt target will run ({inv.target.note or 'unresolved'}), and "
            f"dbt_armor.yml data_sources differ per target ({', '.join(per_target)})",
            hint="pass --target (or set DBT_TARGET) so the gate checks the right data source",
        )
    return None


def _options(
    settings: Settings, flag_policy: Sequence[str], run_overrides: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[str], RunOptions]:
    """Project policy, the per-source ``--policy`` pairs, and the run options in force."""
    project_policy, options = split_project_gate(settings.gate or {}, "dbt_armor.yml gate")
    run_pairs = [p for p in flag_policy if p.partition("=")[0].strip() in RUN_KEYS]
    source_pairs = [p for p in flag_policy if p not in run_pairs]
    options = parse_run_options(
        {p.partition("=")[0].strip(): p.partition("=")[2] for p in run_pairs}, "--policy", options
    )
    options = parse_run_options(run_overrides or {}, "command line", base=options)
    return project_policy, source_pairs, options


def run_options(
    settings: Settings,
    flag_policy: Sequence[str] = (),
    run_overrides: Mapping[str, Any] | None = None,
) -> RunOptions:
    """The run options (deadline, on_api_error, ...) a check with the same inputs uses."""
    return _options(settings, flag_policy, run_overrides)[2]


def check(
    prepared: Prepared,
    settings: Settings,
    *,
    client: Any,
    target: str | None = None,
    flag_policy: Sequence[str] = (),
    run_overrides: Mapping[str, Any] | None = None,
    refresh: bool = False,
    now: Callable[[], datetime] = utcnow,
    write: bool = True,
    began: float | None = None,
    prefetch: Prefetch | None = None,
) -> GateResult:
    """Gate a prepared selection; writes armor_gate.json (and armor_skipped.txt) if ``write``.

    ``prefetch``: platform reads started while dbt parsed (gate/prefetch.py); the verdict is
    still computed on this selection, reusing only the answers it allows.

    ``began`` (time.monotonic()) makes the deadline bound the run from that moment (dbt's
    parse included) instead of the platform reads alone.

    ``target`` is for a Prepared without an invocation (a bare manifest); otherwise the
    invocation's resolved target is used.
    """
    from dbt_armor.project.graph import descendants, upstream_sources
    from dbt_armor.project.naming import NameResolver

    manifest = prepared.manifest
    project_policy, source_pairs, options = _options(settings, flag_policy, run_overrides)
    data_sources = settings.data_sources or {}
    name = target if prepared.invocation is None else _target_name(prepared, data_sources)
    upstream = upstream_sources(manifest, prepared.selected)
    resolver = NameResolver(manifest, name, data_sources, settings.naming_case or "auto")
    resolved = {uid: resolver.resolve(uid) for uid in upstream}
    names = {uid: q.full for uid, q in resolved.items()}
    infos = source_infos(manifest, upstream, names)
    policies = policies_for(manifest, upstream, project_policy, parse_flag_pairs(source_pairs))
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
        checked=_checked(prepared, name, resolver, resolved),
        began=began,
        prefetch=prefetch,
    )
    if write and prepared.target_dir is not None:
        write_outputs(prepared.target_dir, result)
    return result


def _checked(
    prepared: Prepared, target: str | None, resolver: Any, resolved: Mapping[str, Any]
) -> dict[str, Any]:
    """What the run checked: the target and each data source with how it was chosen."""
    inv = prepared.invocation
    about: dict[str, Any] = inv.describe() if inv is not None else {}
    if inv is None:
        about["target"] = {"value": target, "from": "flag" if target else "unresolved"}
    used: dict[str, dict[str, Any]] = {}
    for uid, qn in sorted(resolved.items()):
        entry = used.setdefault(
            qn.data_source, {"from": resolver.data_source_origin(uid), "sources": 0}
        )
        entry["sources"] += 1
    if not used:
        used[resolver.default_source] = {"from": resolver.default_source_from, "sources": 0}
    about["data_sources"] = used
    about["examples"] = [q.full for _, q in sorted(resolved.items())[:2]]
    return about


def write_outputs(
    target_dir: Path,
    result: GateResult,
    *,
    dbt_exit_code: int | None = None,
    dbt_seconds: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write armor_gate.json (and armor_skipped.txt in skip mode), once per run.

    ``extra``: top-level keys added by a wrapper feature (``only_new_data``)."""
    doc = artifact(result, dbt_exit_code=dbt_exit_code, dbt_seconds=dbt_seconds)
    doc.update(extra or {})
    write_gate_json(target_dir, doc)
    if result.skipped_selectors and result.options.mode == "skip":
        write_skipped(target_dir, result.skipped_selectors)
