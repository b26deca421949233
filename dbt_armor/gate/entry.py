"""The one gate entry point: a prepared selection and explicit settings in, a GateResult out.

Owns the assembly every caller shares (policy pairs with ``max_age``, run options, the
``--wait-for-fresh`` loop, the one write of the gate files); never parses dbt or reads settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dbt_armor.gate.pipeline import GateResult, Prepared, check, utcnow, write_outputs
from dbt_armor.gate.wait import checked

if TYPE_CHECKING:
    from dbt_armor.config import Settings
    from dbt_armor.gate.prefetch import Prefetch

__all__ = ["PolicyInput", "gate_prepared", "policy_flags", "run_overrides"]

# ``{"stale": "warn"}`` (the Python API, orchestrators) or ``["stale=warn"]`` (``--policy``)
PolicyInput = Mapping[str, Any] | Sequence[str] | None


def policy_flags(policy: PolicyInput, max_age: float | None = None) -> list[str]:
    """The ``KEY=VALUE`` policy pairs of one call, ``max_age`` (if given) last so it wins."""
    if isinstance(policy, Mapping):
        pairs = [f"{key}={value}" for key, value in policy.items()]
    elif isinstance(policy, str):
        pairs = [policy]
    else:
        pairs = [str(pair) for pair in policy or ()]
    if max_age is not None:
        pairs.append(f"max_age={max_age}")
    return pairs


def run_overrides(
    *,
    mode: str | None = None,
    on_api_error: str | None = None,
    cache_ttl: float | None = None,
    deadline: float | None = None,
) -> dict[str, object]:
    """The run options a call sets explicitly (None leaves the project's or the default)."""
    return {
        "mode": mode,
        "on_api_error": on_api_error,
        "cache_ttl": cache_ttl,
        "deadline": deadline,
    }


def _quiet(_: str) -> None:
    return None


def gate_prepared(
    prepared: Prepared,
    settings: Settings,
    *,
    client: Any = None,
    target: str | None = None,
    policy: PolicyInput = None,
    max_age: float | None = None,
    mode: str | None = None,
    on_api_error: str | None = None,
    cache_ttl: float | None = None,
    deadline: float | None = None,
    refresh: bool = False,
    wait: str | float | None = None,
    say: Callable[[str], None] = _quiet,
    now: Callable[[], datetime] = utcnow,
    began: float | None = None,
    prefetch: Prefetch | None = None,
    write: bool = True,
) -> GateResult:
    """Gate the upstream sources of ``prepared`` once, or (``wait``) until late ones arrive.

    ``client`` None builds one from ``settings`` and closes it after. ``target`` names the
    data source only for a Prepared without an invocation. ``began`` (time.monotonic()) and
    ``prefetch`` serve the first evaluation only: a re-check gets a fresh deadline and reads
    everything again. ``write`` puts armor_gate.json (and armor_skipped.txt) in the prepared
    target dir once, after the last evaluation; a caller that runs dbt next passes False and
    writes with dbt's exit code itself.
    """
    flags = policy_flags(policy, max_age)
    overrides = run_overrides(
        mode=mode, on_api_error=on_api_error, cache_ttl=cache_ttl, deadline=deadline
    )
    first: dict[str, Any] = {"began": began, "prefetch": prefetch}
    own = client is None
    if own:
        from dbt_armor.api.client import ArmorClient

        client = ArmorClient.from_settings(settings)

    def once(**again: Any) -> GateResult:
        start, first["began"] = first["began"], None
        early, first["prefetch"] = first["prefetch"], None
        return check(
            prepared, settings, client=client, target=target, flag_policy=flags, now=now,
            write=False, began=start, prefetch=early, **again,
        )  # fmt: skip

    try:
        result = checked(once, wait, refresh=refresh, overrides=overrides, say=say)
    finally:
        if own:
            client.close()
    if write and prepared.target_dir is not None:
        write_outputs(prepared.target_dir, result)
    return result
