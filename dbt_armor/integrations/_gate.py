"""The one adapter through which every orchestrator integration gates: a manifest (path or
dict) and a selection in, a GateResult out, with the CLI's policy, outcome and exit codes.

Never runs or parses dbt; prepares the selection and leaves the check to
``gate.entry.gate_prepared``, the one ``dbt_armor.gate()`` uses too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from dbt_armor.gate.pipeline import Prepared, utcnow
from dbt_armor.gate.result import GateResult

__all__ = ["GateResult", "gate_on_manifest", "load", "prepared_for"]


def load(manifest: str | Path | Mapping[str, Any] | Any) -> tuple[Any, Path | None]:
    """Our typed manifest from a path, a manifest dict already in memory, or a typed one."""
    from dbt_armor.project.manifest import Manifest, decode_manifest, load_manifest

    if isinstance(manifest, Manifest):
        return manifest, getattr(manifest, "path", None)
    if isinstance(manifest, str | Path):
        return load_manifest(manifest), Path(manifest)
    data = json.dumps(manifest).encode()
    return decode_manifest(data, "<orchestrator manifest>"), None


def prepared_for(
    manifest: Any,
    *,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    nodes: Iterable[str] | None = None,
    command: str = "build",
    target_dir: Path | None = None,
) -> Prepared:
    """A Prepared selection: ``nodes`` (unique_ids the orchestrator chose) or select/exclude
    evaluated like ``dbt-armor gate --manifest`` for ``command``."""
    from dbt_armor.gate.offline import select_on_manifest

    typed, path = load(manifest)
    if nodes is not None:
        chosen = frozenset(n for n in nodes if n in typed.nodes)
        selectors = {uid: ".".join(typed.nodes[uid].fqn) for uid in chosen}
    else:
        argv = [
            *(["--select", *select] if select else []),
            *(["--exclude", *exclude] if exclude else []),
        ]
        chosen, selectors = select_on_manifest(typed, command, argv)
    where = target_dir if target_dir is not None else (path.parent if path else None)
    return Prepared(typed, path or Path("manifest.json"), chosen, selectors, None, where, {})


def gate_on_manifest(
    manifest: str | Path | Mapping[str, Any] | Any,
    *,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    nodes: Iterable[str] | None = None,
    command: str = "build",
    settings: Any,
    client: Any = None,
    target: str | None = None,
    policy: Mapping[str, Any] | None = None,
    mode: str | None = None,
    on_api_error: str | None = None,
    deadline: float | None = None,
    max_age: float | None = None,
    refresh: bool = False,
    target_dir: Path | None = None,
    write: bool = True,
    wait: str | float | None = None,
    say: Callable[[str], None] = lambda _: None,
    now: Callable[[], datetime] = utcnow,
) -> GateResult:
    """Gate the sources upstream of a selection on ``manifest``; same decision as the CLI.

    ``settings`` come from ``dbt_armor.config.resolve_settings`` (data sources, project policy);
    ``client`` is an ``ArmorClient`` (None: one is built from ``settings`` and closed after).
    armor_gate.json goes to ``target_dir`` (else next to the manifest file) when ``write`` is
    true. ``wait`` (seconds or ``"15m"``) waits for late sources like ``--wait-for-fresh``,
    reporting through ``say``. The check itself is ``gate.entry.gate_prepared``, the same one
    ``dbt_armor.gate()`` calls.
    """
    from dbt_armor.gate.entry import gate_prepared

    prepared = prepared_for(
        manifest,
        select=select,
        exclude=exclude,
        nodes=nodes,
        command=command,
        target_dir=target_dir,
    )
    return gate_prepared(
        prepared, settings, client=client, target=target, policy=policy, max_age=max_age,
        mode=mode, on_api_error=on_api_error, deadline=deadline, refresh=refresh, wait=wait,
        say=say, now=now, write=write,
    )  # fmt: skip
