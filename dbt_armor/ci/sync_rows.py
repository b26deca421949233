"""The rule-sync part of a PR check: what merging would create/update/delete, and drift.

Adapts the sync planner's changes into report rows; never applies anything. The plan for the
PR manifest is what the merge would do; the plan for the production manifest is drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbt_armor.ci.diff import ChangeSet
from dbt_armor.ci.model import PlanRow

if TYPE_CHECKING:
    from dbt_armor.api import ArmorClient
    from dbt_armor.config import Settings


def _rows(changes: Iterable[Any], files: dict[str, str]) -> list[PlanRow]:
    rows = []
    for c in changes:
        action = str(getattr(c.action, "value", c.action))
        if action == "unchanged":
            continue
        detail = c.reason or ", ".join(
            f"{d.field}: {d.before!r} → {d.after!r}" for d in getattr(c, "diffs", ())
        )
        rows.append(
            PlanRow(
                action=action,
                kind=str(getattr(c.kind, "value", c.kind)),
                name=c.name,
                table=c.table_path,
                node_id=c.node_id,
                detail=detail,
                file=files.get(c.node_id or ""),
            )
        )
    return rows


def sync_rows(
    settings: Settings,
    pr_manifest: Path,
    state_manifest: Path,
    changes: ChangeSet,
    client: ArmorClient,
    target: str | None,
) -> tuple[list[PlanRow], list[PlanRow], list[str]]:
    """(merge plan rows, drift rows, notes) restricted to the nodes in scope."""
    try:
        from dbt_armor.sync.api import plan_for_manifest
    except ImportError:
        return [], [], ["rule sync plan: the sync planner is not available in this install"]
    scope = set(changes.modified_plus) | set(changes.upstream_sources)
    files = {c.unique_id: c.file or "" for c in changes.changes}
    merge = plan_for_manifest(settings, pr_manifest, client=client, target=target, prune=True)
    prod = plan_for_manifest(settings, state_manifest, client=client, target=target, prune=True)
    in_scope = [c for c in merge if c.node_id in scope or c.node_id is None]
    drifted = [c for c in prod if c.node_id in scope]
    drift_keys = {c.key for c in drifted}
    merge_only = [c for c in in_scope if c.key not in drift_keys]
    return _rows(merge_only, files), _rows(drifted, files), []
