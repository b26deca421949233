"""``--only-new-data`` for the wrapper: write sources.json from the platform, compare it with
the previous one through dbt's own ``source_status:fresher+``, and narrow the selection.

Owns the state directory (read before the run, updated only after dbt succeeded) and the rule
for nodes without platform facts. Does not gate or run dbt: the wrapper does both as usual.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbt_armor.dbt.invocation import Invocation
from dbt_armor.errors import ApiError, AuthenticationError, ForbiddenError, UsageError
from dbt_armor.files import write_atomic as write_text
from dbt_armor.freshness.selection import UserSelection, narrowed_args, split_selection
from dbt_armor.freshness.write import SOURCES_FILE, write_sources

STATE_DIR = "armor_new_data"  # default, under the dbt target path
RULES = ("build", "skip")


@dataclass
class NewData:
    """The narrowed dbt arguments and what they leave out; ``finish`` keeps the state."""

    args: list[str]
    left_out: int
    state_dir: Path
    current: Path
    first_run: bool
    summary: dict[str, Any] = field(default_factory=dict)
    promote: bool = True  # False when no artifact was written for this run
    gate_skipped: bool = False

    def annotate(self, artifact: dict[str, Any]) -> None:
        """Add the narrowing to armor_gate.json, so JSON readers hear the same counts."""
        artifact["only_new_data"] = self.summary
        self.gate_skipped = bool(artifact.get("skipped"))
        self.summary["state_updated"] = False

    def finish(self, code: int) -> None:
        """After dbt ran: a full success makes this run's artifact the next run's state.

        Not after a failure, and not when the gate skipped nodes (--on-fail skip): their new
        upstream data would otherwise count as consumed, and they would never be rebuilt.
        """
        if code == 0 and self.promote and not self.gate_skipped and self.current.is_file():
            write_text(self.state_dir / SOURCES_FILE, self.current.read_text(encoding="utf-8"))
            self.summary["state_updated"] = True


def default_state(target_dir: Path, command: str, target: str | None, user: UserSelection) -> Path:
    """``<target>/armor_new_data/<key>``: one state per command, dbt target and selection, so
    a wide run never marks new data as consumed for a narrower job that did not build it."""
    what = [command, target, sorted(user.select), sorted(user.exclude), user.selector]
    key = hashlib.sha256(json.dumps(what).encode()).hexdigest()[:12]
    return target_dir / STATE_DIR / key


def sources_by_node(upstream: Mapping[str, frozenset[str]]) -> dict[str, set[str]]:
    """Invert ``source -> nodes it feeds`` into ``node -> sources it reads``."""
    out: dict[str, set[str]] = {}
    for source, nodes in upstream.items():
        for node in nodes:
            out.setdefault(node, set()).add(source)
    return out


def kept_by_rule(
    selected: frozenset[str],
    upstream: Mapping[str, frozenset[str]],
    unknown: set[str],
    rule: str,
) -> set[str]:
    """Selected nodes that read no source, or a source the platform has no facts for."""
    if rule != "build":
        return set()
    reads = sources_by_node(upstream)
    return {uid for uid in selected if not reads.get(uid) or reads[uid] & unknown}


def _explicit(
    user: UserSelection,
    yaml_selectors: Mapping[str, Any],
    selectors: Mapping[str, str],
    selected: frozenset[str],
) -> list[str] | None:
    """The selection as explicit selectors when dbt would apply a YAML selector (``--selector``,
    or the manifest's ``default: true`` one when no --select/--exclude was given)."""
    from dbt_armor.project.selectors import choose_selector

    chosen = choose_selector(yaml_selectors, user.selector, user.select, user.exclude)
    if chosen is None:
        return None
    return sorted(selectors.get(uid, uid) for uid in selected)


def narrow_to_new_data(
    settings: Any,
    invocation: Invocation,
    *,
    state: Path | None,
    rule: str = "build",
    on_api_error: str = "fail",
    deadline: float = 60.0,
    executable: str | None = None,
    mode: str = "auto",
    console: Any = None,
) -> NewData:
    """Write target/sources.json from the platform and narrow ``dbt_args`` to new data."""
    from dbt_armor.api.client import ArmorClient
    from dbt_armor.gate.pipeline import prepare
    from dbt_armor.project.graph import upstream_sources

    dbt_args = list(invocation.argv)
    command = invocation.command
    target = invocation.target.value
    user = split_selection(dbt_args)
    if user.state is not None:
        raise UsageError(
            "--only-new-data sets dbt's --state itself",
            hint="drop --state, and point --new-data-state at the previous sources.json's folder",
        )
    if rule not in RULES:
        raise UsageError(f"--sourceless {rule!r} is not one of {', '.join(RULES)}")
    prepared = prepare(invocation, executable=executable, mode=mode)
    upstream = upstream_sources(prepared.manifest, prepared.selected)
    target_dir = prepared.target_dir or invocation.target_path
    current = target_dir / SOURCES_FILE
    state_dir = (state or default_state(target_dir, command, target, user)).resolve()
    try:
        with ArmorClient.from_settings(settings) as client:
            report = write_sources(
                prepared.manifest,
                upstream,
                current,
                settings=settings,
                client=client,
                target=target,
                deadline=deadline,
            )
    except (AuthenticationError, ForbiddenError):
        raise
    except ApiError as exc:
        if on_api_error == "fail":
            raise
        return _unnarrowed(dbt_args, prepared, state_dir, current, exc, on_api_error, console)
    first_run = not (state_dir / SOURCES_FILE).is_file()
    kept = kept_by_rule(prepared.selected, upstream, set(report.unknown), rule)
    summary: dict[str, Any] = {
        "state_dir": str(state_dir),
        "first_run": first_run,
        "sources_written": len(report.written),
        "sources_unknown": sorted(report.unknown),
        "rule": rule,
        "selected": len(prepared.selected),
    }
    if first_run:
        summary.update(left_out=0, left_out_models=0, built=len(prepared.selected))
        _say(
            console,
            f"only new data: no previous state in {state_dir}: building everything "
            "selected (first run)",
        )
        return NewData(list(dbt_args), 0, state_dir, current, True, summary)
    explicit = _explicit(user, prepared.manifest.selectors, prepared.selectors, prepared.selected)
    args = narrowed_args(
        user,
        state_dir=str(state_dir),
        kept=[prepared.selectors.get(u, u) for u in kept],
        explicit=explicit,
    )
    if prepared.invoker is None:  # prepare() always makes one; a manifest-only Prepared has none
        raise UsageError("--only-new-data needs dbt to select", hint="drop --manifest")
    chosen = frozenset(prepared.invoker.select(args, command=command).unique_ids)
    left = prepared.selected - chosen
    models = [u for u in left if _materialised_model(prepared.manifest, u)]
    summary.update(
        left_out=len(left),
        left_out_models=len(models),
        built=len(chosen),
        left_out_nodes=sorted(left),
    )
    _say(
        console,
        f"only new data: {len(models)} model(s) left out because nothing upstream "
        f"changed ({len(left)} node(s) in all); {len(chosen)} of {len(prepared.selected)} "
        f"selected node(s) will build (state: {state_dir})",
    )
    return NewData(args, len(models), state_dir, current, False, summary)


def _unnarrowed(
    dbt_args: list[str],
    prepared: Any,
    state_dir: Path,
    current: Path,
    exc: Exception,
    on_api_error: str,
    console: Any,
) -> NewData:
    """Without facts nothing can be narrowed: everything selected builds (never less), the
    gate applies on_api_error, and the state is left as it was."""
    _say(
        console,
        f"only new data: platform unavailable ({exc}); not narrowing the selection "
        f"(on_api_error={on_api_error})",
    )
    down = {
        "state_dir": str(state_dir),
        "platform_error": str(exc),
        "left_out": 0,
        "left_out_models": 0,
        "selected": len(prepared.selected),
    }
    return NewData(list(dbt_args), 0, state_dir, current, False, down, promote=False)


def _materialised_model(manifest: Any, uid: str) -> bool:
    """A model that builds a relation (an ephemeral one is never built, so never left out)."""
    node = manifest.nodes.get(uid)
    return node is not None and node.resource_type == "model" and not node.is_ephemeral


def _say(console: Any, text: str) -> None:
    if console is not None:
        console.print(text, markup=False, highlight=False)
