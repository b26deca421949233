"""Local AnomalyArmor-compatible server for tests, the demo and users' CI.

Exports the public entry points only; see docs/emulator.md.
"""

from __future__ import annotations

from dbt_armor.emulator.config import ApiKey, EmulatorConfig
from dbt_armor.emulator.server import EmulatorServer

__all__ = ["ApiKey", "EmulatorConfig", "EmulatorServer"]
