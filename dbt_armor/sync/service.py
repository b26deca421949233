"""The sync use cases end to end: plan (manifest -> translation -> remote -> diff) and apply.

Wires the pure core to the client; the CLI and tests call these. It must not render or parse
command-line options.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from dbt_armor.api import ArmorClient
from dbt_armor.sync.apply import DEFAULT_BUDGET, Applier, check_fresh
from dbt_armor.sync.plan import Plan, build_plan
from dbt_armor.sync.remote import read_remote
from dbt_armor.sync.request_bodies import Dialect
from dbt_armor.sync.result import ApplyResult, raise_for_errors
from dbt_armor.sync.specs import Change, Kind
from dbt_armor.sync.translate import Resolve, translate
from dbt_armor.sync.verify import verify_live


def make_plan(
    client: ArmorClient,
    manifest: Any,
    resolve: Resolve,
    *,
    dialect: Dialect,
    now: datetime,
    scope: frozenset[str] | None = None,
) -> Plan:
    translation = translate(manifest, resolve)
    specs = [s for s in translation.specs if scope is None or s.node_id in scope]
    data_sources = {s.data_source for s in specs if s.kind is not Kind.FRESHNESS}
    paths = [(s.data_source, s.table_path) for s in specs if s.kind is Kind.FRESHNESS]
    remote = read_remote(client, data_sources, paths)
    return build_plan(translation, remote, dialect=dialect, now=now, scope=scope)


def apply_plan(
    client: ArmorClient,
    plan: Plan,
    *,
    prune: bool,
    saved: bool,
    workers: int = 4,
    budget: float = DEFAULT_BUDGET,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Change], None] | None = None,
) -> ApplyResult:
    """Apply ``plan``; a ``saved`` plan is first checked against the current remote state, and
    every change against the live objects it names (refused before any write). Raises
    SyncApplyError (carrying the result) when anything failed or was left undone."""
    if saved:
        check_fresh(client, plan)
    changes = plan.pending(prune)
    verify_live(client, changes)
    if on_start is not None:
        on_start(len(changes))
    result = Applier(client, workers=workers, budget=budget).run(changes, on_done)
    raise_for_errors(result, len(changes))
    return result
