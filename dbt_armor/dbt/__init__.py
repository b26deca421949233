"""Invoking dbt: in-process dbtRunner or a subprocess; selection through dbt ls; results env.

Only the public names live here; nothing imports dbt until an in-process invoker runs.
"""

from __future__ import annotations

from dbt_armor.dbt.args import DbtArgs, split_args
from dbt_armor.dbt.env import child_env, join_results, results_env
from dbt_armor.dbt.invocation import Choice, Invocation, resolve_invocation
from dbt_armor.dbt.invoker import DbtInvoker, dbt_core_available, make_invoker
from dbt_armor.dbt.selection import Selection

__all__ = [
    "Choice",
    "DbtArgs",
    "DbtInvoker",
    "Invocation",
    "Selection",
    "child_env",
    "dbt_core_available",
    "join_results",
    "make_invoker",
    "resolve_invocation",
    "results_env",
    "split_args",
]
