"""Emulator configuration: API keys, tiers and server options.

Plain values only; this module never starts anything or reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from dbt_armor.timestamps import utc_now

Scope = Literal["read-only", "read-write", "admin"]
Dialect = Literal["seed", "sdk"]

SCOPES: tuple[str, ...] = ("read-only", "read-write", "admin")

# tier -> (requests per minute, burst per second, max keys; 0 = unlimited)
TIERS: dict[str, tuple[int, int, int]] = {
    "free_trial": (20, 2, 1),
    "starter": (30, 3, 1),
    "growth": (500, 25, 10),
    "professional": (1000, 50, 25),
    "enterprise": (5000, 100, 0),
}

DEFAULT_READWRITE_KEY = "aa_live_emulator_readwrite_000000000000000000000000"
DEFAULT_READONLY_KEY = "aa_live_emulator_readonly_0000000000000000000000000"


@dataclass(frozen=True)
class ApiKey:
    """One bearer key the emulator accepts. Local test keys only, never real secrets."""

    key: str
    scope: str = "read-write"
    tier: str = "enterprise"

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}: use one of {', '.join(SCOPES)}")
        if self.tier not in TIERS:
            raise ValueError(f"unknown tier {self.tier!r}: use one of {', '.join(TIERS)}")

    def __repr__(self) -> str:
        return f"ApiKey(key={self.masked!r}, scope={self.scope!r}, tier={self.tier!r})"

    @property
    def masked(self) -> str:
        return f"{self.key[:8]}…{self.key[-4:]}" if len(self.key) > 12 else "…"

    @classmethod
    def parse(cls, text: str) -> ApiKey:
        """Parse ``KEY[:scope[:tier]]`` as given on the command line."""
        parts = text.split(":")
        if not parts[0] or len(parts) > 3:
            raise ValueError(f"bad key spec {text!r}: expected KEY[:scope[:tier]]")
        return cls(*parts)


def default_keys() -> list[ApiKey]:
    return [
        ApiKey(DEFAULT_READWRITE_KEY, "read-write", "enterprise"),
        ApiKey(DEFAULT_READONLY_KEY, "read-only", "enterprise"),
    ]


@dataclass
class EmulatorConfig:
    """Everything an EmulatorServer needs. ``port=0`` picks a free loopback port."""

    port: int = 0
    dialect: str = "seed"
    warehouse: Path | str | None = None  # a DuckDB file, or a postgresql:// URL
    state_file: Path | None = None
    keys: list[ApiKey] = field(default_factory=default_keys)
    seed: int = 0
    rate_limits: bool = True
    freshness_cache_seconds: float = 1.0
    default_threshold_hours: float = 24.0
    clock: Callable[[], datetime] = utc_now
    request_log_size: int = 10_000
    check_interval: float | None = None  # seconds between scheduled checks; None = off
    state_flush_seconds: float = 0.2  # with state_file: longest delay before a change is saved

    def __post_init__(self) -> None:
        if self.dialect not in ("seed", "sdk"):
            raise ValueError(f"unknown dialect {self.dialect!r}: use 'seed' or 'sdk'")
        if not self.keys:
            self.keys = default_keys()
        if self.check_interval is not None and not self.check_interval > 0:
            raise ValueError(f"check_interval must be a positive number, got {self.check_interval}")
