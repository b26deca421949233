"""Builds a PR check report: compare manifests, then read the platform for what is in scope.

The I/O shell of ``dbt-armor ci``: reads the two manifests and the platform (read-only calls);
never runs dbt, never writes to the platform. The decisions are the gate's and sync's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbt_armor.ci.diff import ChangeSet, compare, load_for_diff
from dbt_armor.ci.report import (
    CiReport,
    ImpactRow,
    PlanRow,
    SourceRow,
    UnmappedRow,
    merge_failures,
)
from dbt_armor.ci.sync_rows import sync_rows
from dbt_armor.errors import ApiError, ArmorError, NotFoundError
from dbt_armor.project.graph import upstream_sources

if TYPE_CHECKING:
    from dbt_armor.api import ArmorClient
    from dbt_armor.config import Settings
    from dbt_armor.gate.decide import Decision
    from dbt_armor.project.manifest import Manifest


_POLICY_FLAG = re.compile(r",? or (?:set|rerun with) --policy (\w+)=warn")


def reason_text(qualified_name: str, level: str, message: str, hint: str) -> str:
    """The gate's finding phrased for a PR report: no repeated name, and a policy hint that
    names the YAML setting (``ci`` has no ``--policy`` flag) only when the finding blocks."""
    if message.startswith(qualified_name + " "):
        message = message[len(qualified_name) + 1 :]
    if level == "error":
        hint = _POLICY_FLAG.sub(r", or set `\1: warn` in meta.armor or dbt_armor.yml gate", hint)
    else:
        hint = _POLICY_FLAG.sub("", hint)
    return f"{message}: {hint}" if hint else message


def _resolve(manifest: Manifest, ids: set[str], settings: Settings, target: str | None) -> Any:
    """unique_id -> QualifiedName for ``ids``; unresolvable ids map to the error text."""
    from dbt_armor.project.naming import NameResolver

    resolver = NameResolver(
        manifest, target=target, data_sources=settings.data_sources, case=settings.naming_case
    )
    names: dict[str, Any] = {}
    for uid in sorted(ids):
        try:
            names[uid] = resolver.resolve(uid)
        except ArmorError as exc:
            names[uid] = str(exc)
    return names


def _decision(
    client: ArmorClient,
    manifest: Manifest,
    settings: Settings,
    names: Mapping[str, Any],
    feeds: Mapping[str, frozenset[str]],
    now: datetime,
) -> Decision:
    """The gate's own decision for the in-scope sources (same policy resolution as the gate)."""
    from dbt_armor.gate.decide import decide
    from dbt_armor.gate.engine import policies_for, source_infos
    from dbt_armor.gate.fetch import fetch_facts, targets_from
    from dbt_armor.gate.policy import split_project_gate

    project, _ = split_project_gate(settings.gate, "dbt_armor.yml gate")
    resolved = {uid: q for uid, q in names.items() if not isinstance(q, str)}
    upstream = {uid: feeds.get(uid, frozenset()) for uid in resolved}
    infos = source_infos(manifest, upstream, {u: q.full for u, q in resolved.items()})
    policies = policies_for(manifest, upstream, project, {})
    facts = fetch_facts(client, targets_from(resolved))
    return decide(infos, facts, policies, now)


def _feeds(manifest: Manifest, changes: ChangeSet) -> dict[str, frozenset[str]]:
    """source unique_id -> the in-scope nodes below it (the gate's own DAG walk)."""
    feeds = upstream_sources(manifest, changes.modified_plus)
    return {s: feeds.get(s, frozenset()) for s in changes.upstream_sources}


def _unmapped_cause(uid: str, changes: ChangeSet, status: str) -> str:
    new = any(c.unique_id == uid and c.kind == "new" for c in changes.changes)
    if new:
        return "new in this PR: no monitoring on the platform yet (add the table, then sync)"
    if status == "unresolved":
        return "the name cannot be built: set data_sources in dbt_armor.yml or meta.armor"
    return "not found on the platform: check database/schema/identifier and naming case"


def _impact(
    client: ArmorClient, pr: Manifest, changes: ChangeSet, names: Mapping[str, Any]
) -> list[ImpactRow]:
    project_names = {str(q.full) for q in names.values() if not isinstance(q, str)}
    rows: list[ImpactRow] = []
    roots = sorted(
        c.unique_id
        for c in changes.changes
        if c.kind != "removed" and c.resource_type in ("model", "seed", "snapshot", "source")
    )
    child_map = pr.child_map or {}
    for uid in roots:
        below: set[str] = set()
        stack = list(child_map.get(uid, ()))
        while stack:
            cur = stack.pop()
            if cur not in below:
                below.add(cur)
                stack.extend(child_map.get(cur, ()))
        exposures = tuple(
            sorted(
                pr.exposures[e].label or pr.exposures[e].name for e in below & pr.exposures.keys()
            )
        )
        q = names.get(uid)
        qn = None if q is None or isinstance(q, str) else str(q.full)
        consumers: tuple[str, ...] = ()
        if qn is not None:
            try:
                graph = client.lineage.get(qn, direction="downstream", depth=3)
                consumers = tuple(
                    sorted({n.qualified_name for n in graph.downstream} - project_names - {qn})
                )
            except (NotFoundError, ApiError):
                consumers = ()
        rows.append(ImpactRow(uid, qn, exposures, consumers))
    return rows


def collect(
    settings: Settings,
    pr_manifest: Path,
    state_manifest: Path,
    *,
    client: ArmorClient,
    now: datetime,
    target: str | None = None,
    fail_on: tuple[str, ...] = ("blocked",),
) -> CiReport:
    """Compare, read the platform for the nodes in scope, and apply the merge policy.

    Each manifest is decoded once; every step below reads those two decoded manifests.
    """
    manifest = load_for_diff(pr_manifest, "PR")
    prod = load_for_diff(state_manifest, "state")
    changes = compare(manifest, prod)
    scope = set(changes.upstream_sources) | set(changes.modified_plus)
    names = _resolve(manifest, scope, settings, target)
    source_names = {u: names[u] for u in changes.upstream_sources}
    decision = _decision(client, manifest, settings, source_names, _feeds(manifest, changes), now)

    sources = tuple(
        SourceRow(
            d.info.unique_id,
            d.info.qualified_name,
            d.fact.status,
            d.outcome.value,
            tuple(
                reason_text(d.info.qualified_name, str(r.level.value), r.message, r.hint)
                for r in d.reasons
            ),
            d.info.original_file_path,
        )
        for d in decision.sources
    )
    files = {u: s.original_file_path or None for u, s in manifest.sources.items()}
    unmapped = [
        UnmappedRow(
            s.unique_id, s.qualified_name, _unmapped_cause(s.unique_id, changes, s.status), s.file
        )
        for s in sources
        if s.status == "not_monitored"
    ]
    unmapped += [
        UnmappedRow(uid, "", _unmapped_cause(uid, changes, "unresolved"), files.get(uid))
        for uid, q in source_names.items()
        if isinstance(q, str)
    ]
    sync = sync_rows(settings, manifest, prod, changes, client, target=target, now=now)
    impact = _impact(client, manifest, changes, names)
    failures = merge_failures(fail_on, sources, sync.plan, sync.drift, unmapped)
    return CiReport(
        changes=changes,
        generated_at=now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        sources=sources,
        plan=sync.plan,
        drift=sync.drift,
        unmapped=tuple(unmapped),
        impact=tuple(impact),
        notes=sync.notes,
        fail_on=fail_on,
        failures=failures,
    )


__all__ = ["PlanRow", "collect"]
