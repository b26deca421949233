"""dbt-armor: gate dbt on AnomalyArmor status, sync dbt tests into platform rules, publish lineage.

dbt imports every top-level ``dbt_*`` module on every command, so this module imports nothing
heavy, never raises, and exposes the public API lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# dbt looks for a ``plugins`` attribute on every dbt_* module; an explicit empty list keeps
# that lookup cheap and well-formed.
plugins: list[Any] = []

_LAZY = {
    "ArmorClient": "dbt_armor.api.client",
    "ArmorError": "dbt_armor.errors",
    "GateBlocked": "dbt_armor.errors",
    "gate": "dbt_armor.gate.public",
    "GateResult": "dbt_armor.gate.result",
    "GateOutcome": "dbt_armor.errors",
}

if TYPE_CHECKING:  # pragma: no cover
    from dbt_armor.api.client import ArmorClient
    from dbt_armor.errors import ArmorError, GateBlocked, GateOutcome
    from dbt_armor.gate.public import gate
    from dbt_armor.gate.result import GateResult

__all__ = [
    "ArmorClient",
    "ArmorError",
    "GateBlocked",
    "GateOutcome",
    "GateResult",
    "__version__",
    "gate",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dbt_armor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
