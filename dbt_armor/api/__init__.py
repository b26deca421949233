"""The AnomalyArmor API client package: ``from dbt_armor.api import ArmorClient``.

Exports lazily so that importing a submodule (paths, limiter) does not pull in httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from dbt_armor.api.client import ArmorClient
    from dbt_armor.api.transport import Stats

__all__ = ["ArmorClient", "Stats"]


def __getattr__(name: str) -> Any:
    if name == "ArmorClient":
        from dbt_armor.api.client import ArmorClient

        return ArmorClient
    if name == "Stats":
        from dbt_armor.api.transport import Stats

        return Stats
    raise AttributeError(f"module 'dbt_armor.api' has no attribute {name!r}")
