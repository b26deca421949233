"""The pre-run gate: policy, facts, decision, platform reads, cache and the Python API.

``dbt_armor.gate`` is both this package and the public function: calling the package runs
``dbt_armor.gate.public.gate`` (imported lazily so ``import dbt_armor`` stays cheap).
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from dbt_armor.gate.public import gate

        return gate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
