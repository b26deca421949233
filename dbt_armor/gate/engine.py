"""One gate evaluation over an already-parsed manifest and selection: source infos, policies,
facts, per-source decisions and the run verdict. Shared by the CLI wrapper and the Python API.

Does not parse dbt or select nodes (the caller did) and never passes the API key anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["GateResult", "evaluate", "policies_for", "source_infos"]

from dbt_armor.errors import GateOutcome
from dbt_armor.gate.decide import decide
from dbt_armor.gate.facts import SourceFact, SourceInfo
from dbt_armor.gate.fetch import FetchTarget
from dbt_armor.gate.gather import gather
from dbt_armor.gate.policy import Policy, RunOptions, parse_policy, resolve_policy
from dbt_armor.gate.prefetch import Prefetch
from dbt_armor.gate.result import GateResult
from dbt_armor.gate.verdict import GateRequest, conclude, settle
from dbt_armor.project.periods import period_hours


def _hours(rule: Any) -> float | None:
    if rule is None:
        return None
    count = getattr(rule, "count", None) if not isinstance(rule, dict) else rule.get("count")
    period = getattr(rule, "period", None) if not isinstance(rule, dict) else rule.get("period")
    if count is None or period is None:
        return None
    return float(count) * (period_hours(period) or 1.0)  # an unknown unit counts as hours


def _dbt_thresholds(source: Any) -> tuple[float | None, float | None]:
    fr = getattr(source, "freshness", None)
    if fr is None:
        return None, None
    if isinstance(fr, dict):
        return _hours(fr.get("warn_after")), _hours(fr.get("error_after"))
    return _hours(getattr(fr, "warn_after", None)), _hours(getattr(fr, "error_after", None))


def _gate_meta(obj: Any) -> Any:
    meta = getattr(obj, "armor_meta", None) or {}
    return meta.get("gate") if isinstance(meta, dict) else None


def source_infos(
    manifest: Any, upstream: Mapping[str, frozenset[str]], names: Mapping[str, str]
) -> dict[str, SourceInfo]:
    infos = {}
    for uid, feeds in upstream.items():
        src = manifest.sources[uid]
        warn, err = _dbt_thresholds(src)
        infos[uid] = SourceInfo(
            uid,
            names[uid],
            getattr(src, "original_file_path", None),
            warn,
            err,
            frozenset(feeds),
            f"{getattr(src, 'source_name', '?')}.{getattr(src, 'name', '?')}",
        )
    return infos


def policies_for(
    manifest: Any,
    upstream: Mapping[str, frozenset[str]],
    project: Mapping[str, Any],
    flags: Mapping[str, Any],
) -> dict[str, Policy]:
    """Resolve every source's policy; raises ConfigError naming the node and file."""
    node_cache: dict[str, dict[str, Any]] = {}

    def node_policy(nid: str) -> dict[str, Any]:
        if nid not in node_cache:
            node = manifest.nodes.get(nid)
            where = f"{nid} ({getattr(node, 'original_file_path', '?')}) meta.armor.gate"
            node_cache[nid] = parse_policy(_gate_meta(node), where) if node is not None else {}
        return node_cache[nid]

    out = {}
    for uid, feeds in upstream.items():
        src = manifest.sources[uid]
        where = f"{uid} ({getattr(src, 'original_file_path', '?')}) meta.armor.gate"
        own = parse_policy(_gate_meta(src), where)
        nodes = [node_policy(n) for n in sorted(feeds)]
        out[uid] = resolve_policy(project=project, source=own, nodes=nodes, flags=flags)
    return out


def evaluate(
    *,
    infos: Mapping[str, SourceInfo],
    policies: Mapping[str, Policy],
    targets: list[FetchTarget],
    selected: frozenset[str],
    options: RunOptions,
    client: Any,
    now: Callable[[], datetime],
    target_dir: Path | None,
    descendants: Callable[[set[str]], set[str]],
    selectors: Mapping[str, str],
    refresh: bool = False,
    workers: int = 8,
    timings: Mapping[str, float] | None = None,
    checked: Mapping[str, Any] | None = None,
    began: float | None = None,
    prefetch: Prefetch | None = None,
) -> GateResult:
    """Fetch facts (or fall back per on_api_error), decide each source, conclude the run."""
    spent = dict(timings or {})
    started = time.perf_counter()
    got = gather(
        client,
        targets,
        options,
        now,
        target_dir,
        refresh=refresh,
        workers=workers,
        began=began,
        prefetch=prefetch,
    )
    spent["fetch"] = time.perf_counter() - started
    started = time.perf_counter()
    at = now()
    facts = got.facts if got.facts is not None else _unknown(targets)
    decision = decide(infos, facts, policies, at)
    blocked = {d.info.unique_id for d in decision.blocked}
    affected = frozenset(descendants(blocked)) if blocked else frozenset()
    request = GateRequest(
        decision=decision,
        facts_from=got.facts_from,
        on_api_error=options.on_api_error,
        mode=options.mode,
        selected=selected,
        affected=affected,
        all_not_monitored=options.all_not_monitored,
    )
    verdict = conclude(request)
    decision = settle(decision, verdict, got.api_error, options.on_api_error)
    spent["decide"] = time.perf_counter() - started
    skipped = sorted(verdict.skip) if verdict.outcome is GateOutcome.SKIP else []
    return GateResult(
        decision=decision,
        options=options,
        verdict=verdict,
        generated_at=at,
        selected=selected,
        skipped=skipped,
        skipped_selectors=sorted(selectors.get(n, n) for n in skipped),
        facts_from=got.facts_from,
        cache_age_hours=got.cache_age_hours,
        api_error=got.api_error,
        note="; ".join(got.notes) or None,
        requests=int(getattr(getattr(client, "stats", None), "requests", 0) or 0),
        timings=spent,
        checked=dict(checked or {}),
    )


def _unknown(targets: list[FetchTarget]) -> dict[str, SourceFact]:
    return {t.unique_id: SourceFact(t.unique_id, t.qualified_name, "unknown") for t in targets}
