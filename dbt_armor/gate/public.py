"""``dbt_armor.gate(...)``: the gate for orchestrators (Airflow, Dagster, Prefect tasks).

Resolves the dbt invocation like the CLI and prepares (dbt parse/ls, or a manifest.json with
no dbt at all); the check itself is ``gate.entry.gate_prepared``. Returns a GateResult.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from dbt_armor.errors import GateBlocked
from dbt_armor.gate.pipeline import GateResult, prepare, utcnow


def _argv(
    project_dir: str | Path | None,
    profiles_dir: str | Path | None,
    select: str | Sequence[str] | None,
    exclude: str | Sequence[str] | None,
    singles: Mapping[str, str | None],
) -> list[str]:
    args: list[str] = []
    for flag, path in (("--project-dir", project_dir), ("--profiles-dir", profiles_dir)):
        if path is not None:
            args += [flag, str(path)]
    for flag, value in (("--select", select), ("--exclude", exclude)):
        if value:
            args += [flag, *([value] if isinstance(value, str) else list(value))]
    for flag, single in singles.items():
        if single:
            args += [flag, single]
    return args


def gate(
    project_dir: str | Path | None = None,
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    *,
    selector: str | None = None,
    target: str | None = None,
    profiles_dir: str | Path | None = None,
    vars: str | None = None,
    manifest: str | Path | None = None,
    policy: Mapping[str, Any] | None = None,
    on_api_error: str | None = None,
    mode: str | None = None,
    deadline: float | None = None,
    max_age: float | None = None,
    refresh: bool = False,
    wait: str | float | None = None,
    say: Callable[[str], None] = lambda _: None,
    api_url: str | None = None,
    client: Any = None,
    dbt_mode: str = "auto",
    dbt_executable: str | None = None,
    command: str = "build",
    raise_on_block: bool = False,
    now: Callable[[], datetime] = utcnow,
) -> GateResult:
    """Check the upstream sources of a dbt selection before running it.

    Target, profile and directories resolve as dbt resolves them (arguments, then DBT_TARGET,
    DBT_PROJECT_DIR, DBT_PROFILES_DIR, then the profile's default target). ``manifest`` selects
    on that manifest.json without dbt. ``deadline`` bounds the whole call in seconds (dbt's
    parse included; the platform reads get what is left, at least one second). ``max_age``
    marks a source stale after that many hours. ``wait`` (seconds or ``"15m"``) re-checks
    like ``--wait-for-fresh`` while only late sources block, reporting through ``say``.
    ``command`` is the dbt command the caller runs next (``run`` gates only sources feeding
    models). With ``raise_on_block=True`` raises GateBlocked (``.result``) whenever the
    result's exit code is not 0.
    """
    from dbt_armor.config import resolve_settings
    from dbt_armor.dbt.env import environ_snapshot
    from dbt_armor.dbt.invocation import resolve_invocation
    from dbt_armor.gate.entry import gate_prepared, policy_flags, run_overrides
    from dbt_armor.gate.prefetch import starter

    began = time.monotonic()
    singles = {"--selector": selector, "--target": target, "--vars": vars}
    argv = _argv(project_dir, profiles_dir, select, exclude, singles)
    invocation = resolve_invocation(command, argv, environ_snapshot(), Path.cwd())
    settings = resolve_settings({"api_url": api_url}, project_dir=invocation.project_dir)
    if client is None:
        settings.require_key()  # before dbt parses: a missing key is known up front
    own = client is None
    if own:
        from dbt_armor.api.client import ArmorClient

        client = ArmorClient.from_settings(settings)
    try:
        early = None
        if manifest is not None:
            from dbt_armor.gate.offline import prepare_from_manifest

            prepared = prepare_from_manifest(Path(manifest), invocation)
        else:
            # as the CLI does: read what the last run gated while dbt parses (not on refresh)
            start = None
            if not refresh:
                overrides = run_overrides(mode=mode, on_api_error=on_api_error, deadline=deadline)
                flags = policy_flags(policy, max_age)  # the pairs gate_prepared will use
                start = starter(settings, flags, overrides, invocation.target_path, began)
            early = start(client) if start is not None else None
            prepared = prepare(invocation, executable=dbt_executable, mode=dbt_mode)
        result = gate_prepared(
            prepared, settings, client=client, policy=policy, max_age=max_age, mode=mode,
            on_api_error=on_api_error, deadline=deadline, refresh=refresh, wait=wait, say=say,
            now=now, began=began, prefetch=early,
        )  # fmt: skip
    finally:
        if own:
            client.close()
    if raise_on_block and result.blocked:
        raise GateBlocked(
            f"dbt-armor gate: {result.outcome.value} ({result.note or 'see armor_gate.json'})",
            result=result,
        )
    return result
