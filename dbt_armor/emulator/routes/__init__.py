"""Route families of the emulator, collected into the API router and the control router.

Registration only; each family module owns its handlers.
"""

from __future__ import annotations

from dbt_armor.emulator.routes import assets, control, freshness, lineage, referential, validity
from dbt_armor.emulator.routes.base import Router

api_router = Router()
for _family in (assets, freshness, validity, referential, lineage):
    api_router.include(_family.router)

control_router = control.router

__all__ = ["api_router", "control_router"]
