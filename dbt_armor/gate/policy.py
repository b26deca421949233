"""Gate policy: the keys, their defaults, validation, and resolution across dbt's levels.

Pure: takes plain mappings (project defaults, source meta, model meta, flags), returns Policy
values. Never reads files, the environment or the platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

from dbt_armor.errors import ConfigError
from dbt_armor.gate.facts import Level

LEVEL_KEYS = (
    "stale",
    "unknown",
    "disabled",
    "not_monitored",
    "validity_critical",
    "validity_error",
    "validity_warning",
    "validity_info",
    "referential",
)
OTHER_KEYS = ("max_age", "use_dbt_freshness")
# Run-level keys: accepted in dbt_armor.yml ``gate:`` and flags, not per source.
RUN_KEYS = ("on_api_error", "mode", "cache_ttl", "deadline", "all_not_monitored")
RUN_CHOICES = {
    "on_api_error": ("fail", "open", "cached"),
    "mode": ("block", "skip"),
    # When the platform knows none of the gated sources: a configuration error (exit 2), or
    # accepted on purpose (each source then follows its own not_monitored level).
    "all_not_monitored": ("error", "accept"),
}
LEVEL_VALUES = tuple(level.value for level in Level)


@dataclass(frozen=True)
class Policy:
    """The per-source policy after resolution."""

    stale: Level = Level.ERROR
    unknown: Level = Level.WARN
    disabled: Level = Level.WARN
    not_monitored: Level = Level.WARN
    validity_critical: Level = Level.ERROR
    validity_error: Level = Level.ERROR
    validity_warning: Level = Level.WARN
    validity_info: Level = Level.OFF
    referential: Level = Level.ERROR
    max_age: float | None = None
    use_dbt_freshness: bool = False

    def level(self, key: str) -> Level:
        value = getattr(self, key)
        assert isinstance(value, Level)
        return value

    def to_json(self) -> dict[str, Any]:
        return dict(_policy_json(self))


@dataclass(frozen=True)
class RunOptions:
    """Run-level gate options (project ``gate:`` defaults, overridden by flags)."""

    on_api_error: str = "fail"
    mode: str = "block"
    cache_ttl: float = 6.0  # hours
    deadline: float = 60.0  # seconds for all platform reads
    all_not_monitored: str = "error"  # error | accept


DEFAULT_POLICY = Policy()


@lru_cache(maxsize=256)
def _policy_json(policy: Policy) -> dict[str, Any]:
    """JSON form of a policy; cached because thousands of sources share a few policies."""
    out: dict[str, Any] = {}
    for f in fields(policy):
        value = getattr(policy, f.name)
        out[f.name] = value.value if isinstance(value, Level) else value
    return out


def parse_policy(raw: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    """Validate a policy mapping and return it with typed values (only the keys given)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where}: armor gate policy must be a mapping, got {type(raw).__name__}",
            hint=f"use keys such as {', '.join(LEVEL_KEYS[:3])}",
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        out[str(key)] = _parse_value(str(key), value, where)
    return out


def _parse_value(key: str, value: Any, where: str) -> Any:
    if key in LEVEL_KEYS:
        text = str(value).strip().lower() if value is not None else ""
        if value is False:
            text = "off"
        if text not in LEVEL_VALUES:
            raise ConfigError(
                f"{where}: policy {key}={value!r} is not valid",
                hint=f"allowed values: {', '.join(LEVEL_VALUES)}",
            )
        return Level(text)
    if key == "max_age":
        try:
            hours = float(value)
        except (TypeError, ValueError):
            hours = -1.0
        if hours <= 0:
            raise ConfigError(
                f"{where}: policy max_age={value!r} is not valid",
                hint="give a positive number of hours, e.g. max_age: 12",
            )
        return hours
    if key == "use_dbt_freshness":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True
        if text in ("false", "no", "0", "off"):
            return False
        raise ConfigError(
            f"{where}: policy use_dbt_freshness={value!r} is not valid",
            hint="allowed values: true, false",
        )
    allowed = ", ".join((*LEVEL_KEYS, *OTHER_KEYS))
    raise ConfigError(f"{where}: unknown gate policy key {key!r}", hint=f"allowed keys: {allowed}")


def split_project_gate(
    raw: Mapping[str, Any] | None, where: str
) -> tuple[dict[str, Any], RunOptions]:
    """Split dbt_armor.yml ``gate:`` into per-source policy keys and run-level options."""
    raw = dict(raw or {})
    run = {k: raw.pop(k) for k in RUN_KEYS if k in raw}
    return parse_policy(raw, where), parse_run_options(run, where)


def parse_run_options(
    raw: Mapping[str, Any], where: str, base: RunOptions | None = None
) -> RunOptions:
    """Validate run-level options (on_api_error, mode, cache_ttl, deadline)."""
    opts = base or RunOptions()
    for key, value in raw.items():
        if value is None:
            continue
        if key in RUN_CHOICES:
            text = str(value).strip().lower()
            if text not in RUN_CHOICES[key]:
                raise ConfigError(
                    f"{where}: {key}={value!r} is not valid",
                    hint=f"allowed values: {', '.join(RUN_CHOICES[key])}",
                )
            if key == "on_api_error":
                opts = replace(opts, on_api_error=text)
            elif key == "mode":
                opts = replace(opts, mode=text)
            else:
                opts = replace(opts, all_not_monitored=text)
        elif key in ("cache_ttl", "deadline"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = -1.0
            if number <= 0:
                raise ConfigError(
                    f"{where}: {key}={value!r} is not valid", hint="give a positive number"
                )
            opts = (
                replace(opts, cache_ttl=number)
                if key == "cache_ttl"
                else replace(opts, deadline=number)
            )
        else:
            raise ConfigError(
                f"{where}: unknown gate option {key!r}", hint=f"allowed: {', '.join(RUN_KEYS)}"
            )
    return opts


def parse_flag_pairs(pairs: Iterable[str]) -> dict[str, Any]:
    """Parse repeated ``--policy key=value`` flags into a validated mapping."""
    raw: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--policy {pair!r} is not key=value", hint="write e.g. --policy stale=warn"
            )
        raw[key.strip()] = value.strip()
    return parse_policy(raw, "--policy")


def _stricter(key: str, a: Any, b: Any) -> Any:
    if isinstance(a, Level) and isinstance(b, Level):
        return a if a.rank >= b.rank else b
    if key == "max_age":
        return min(a, b)
    if key == "use_dbt_freshness":
        return bool(a or b)
    return b


def resolve_policy(
    *,
    project: Mapping[str, Any],
    source: Mapping[str, Any],
    nodes: Iterable[Mapping[str, Any]] = (),
    flags: Mapping[str, Any] | None = None,
) -> Policy:
    """Resolve one source's policy from already-parsed layers.

    defaults < project ``gate:`` < the source's own ``meta.armor.gate``; then every key that a
    node fed by the source sets explicitly can only tighten it (strictest wins); run flags last.
    """
    values: dict[str, Any] = {**project, **source}
    base = DEFAULT_POLICY
    for node in nodes:
        for key, value in node.items():
            current = values.get(key, getattr(base, key))
            if key == "max_age" and key not in values:
                values[key] = value
            else:
                values[key] = _stricter(key, current, value)
    values.update(flags or {})
    return replace(base, **values)
