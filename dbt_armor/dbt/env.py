"""The environment dbt runs with: gate results in DBT_ARMOR_RESULTS (chunked), secrets removed.

Owns the chunking format and the scrubbing of the API key; never reads settings or files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping

from dbt_armor.dbt.driver import (
    raise_stack_limit as raise_stack_limit,
)  # the one copy: the driver cannot import this package
from dbt_armor.errors import DbtError

RESULTS_VAR = "DBT_ARMOR_RESULTS"
CHUNK_BYTES = 100_000  # Linux caps one environment string at 128 KiB
SECRET_VARS = ("ARMOR_API_KEY",)


def _utf8_slices(data: bytes, limit: int) -> list[bytes]:
    """Consecutive slices of at most ``limit`` bytes that never split a UTF-8 character."""
    out: list[bytes] = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1
        out.append(data[start:end])
        start = end
    return out


def results_env(results_json: str, chunk_bytes: int = CHUNK_BYTES) -> dict[str, str]:
    """DBT_ARMOR_RESULTS for dbt: the JSON itself, or a header plus DBT_ARMOR_RESULTS_1..N."""
    data = results_json.encode("utf-8")
    if len(data) <= chunk_bytes:
        return {RESULTS_VAR: results_json}
    parts = _utf8_slices(data, chunk_bytes)
    env = {RESULTS_VAR: json.dumps({"version": 1, "chunks": len(parts)}, separators=(",", ":"))}
    for index, part in enumerate(parts, start=1):
        env[f"{RESULTS_VAR}_{index}"] = part.decode("utf-8")
    return env


def join_results(env: Mapping[str, str]) -> str | None:
    """Inverse of results_env (what the macros do): the JSON text, or None when absent."""
    head = env.get(RESULTS_VAR)
    if head is None:
        return None
    try:
        header = json.loads(head)
    except ValueError:
        return head
    if isinstance(header, dict) and set(header) == {"version", "chunks"}:
        count = int(header["chunks"])
        return "".join(env[f"{RESULTS_VAR}_{i}"] for i in range(1, count + 1))
    return head


def _is_results_var(name: str) -> bool:
    return name == RESULTS_VAR or (
        name.startswith(RESULTS_VAR + "_") and name[len(RESULTS_VAR) + 1 :].isdigit()
    )


def secret_values(base: Mapping[str, str], extra_secrets: Iterable[str] = ()) -> set[str]:
    """Values that must never reach dbt: the API key(s) found in ``base`` plus any given."""
    found = {base[name] for name in SECRET_VARS if base.get(name)}
    return found | {s for s in extra_secrets if s}


def _holds(value: str, secret: str) -> bool:
    """True when ``value`` is ``secret`` or, for a key-length secret, contains it (e.g. a
    "Bearer <key>" header variable). Short values only match exactly, so a test key like "x"
    cannot strip PATH."""
    return value == secret or (len(secret) >= 16 and secret in value)


def child_env(
    base: Mapping[str, str], extra: Mapping[str, str], extra_secrets: Iterable[str] = ()
) -> dict[str, str]:
    """A copy of ``base`` without secrets (any variable containing one) or stale results
    chunks, plus ``extra``."""
    secrets = secret_values(base, extra_secrets)
    for name, value in extra.items():
        if name in SECRET_VARS or any(s and s in value for s in secrets):
            raise DbtError(
                f"refusing to pass the API key to dbt in {name}",
                hint="this is a dbt-armor bug; please report it",
            )
    env = {
        name: value
        for name, value in base.items()
        if name not in SECRET_VARS
        and not any(_holds(value, s) for s in secrets)
        and not _is_results_var(name)
    }
    env.update(extra)
    return env


def environ_snapshot() -> dict[str, str]:
    """A copy of the current process environment (the only place this package reads it)."""
    return dict(os.environ)
