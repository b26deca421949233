"""One gate evaluation over an already-parsed manifest and selection: names, policy, facts,
decision, skip set, on_api_error handling, artifacts. Shared by the CLI wrapper and the API.

Does not parse dbt or select nodes (the caller did) and never passes the API key anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dbt_armor.errors import ApiError, AuthenticationError, ExitCode, ForbiddenError
from dbt_armor.gate import cache
from dbt_armor.gate.decide import Decision, decide, skip_set
from dbt_armor.gate.facts import Outcome, SourceFact, SourceInfo
from dbt_armor.gate.fetch import FetchTarget, fetch_facts
from dbt_armor.gate.policy import Policy, RunOptions, parse_policy, resolve_policy
from dbt_armor.gate.refresh import refresh_platform
from dbt_armor.gate.results import artifact, results_json, results_payload
from dbt_armor.project.periods import period_hours


@dataclass
class GateResult:
    """Everything one gate run found and decided."""

    decision: Decision
    options: RunOptions
    exit_code: int
    label: str  # pass | warn | block | error
    generated_at: datetime
    selected: frozenset[str] = frozenset()
    skipped: list[str] = field(default_factory=list)
    skipped_selectors: list[str] = field(default_factory=list)
    facts_from: str = "platform"  # platform | cache | none
    api_error: str | None = None
    note: str | None = None
    requests: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    results_json: str = "{}"
    artifact: dict[str, Any] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        return self.exit_code in (ExitCode.BLOCKED, ExitCode.PLATFORM_UNAVAILABLE)

    @property
    def outcome(self) -> str:
        return self.label


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
    timings: dict[str, float] | None = None,
) -> GateResult:
    """Fetch facts (or fall back per on_api_error), decide, compute skips, build outputs."""
    timings = dict(timings or {})
    started = time.perf_counter()
    facts: dict[str, SourceFact] | None = None
    facts_from, api_error, note = "platform", None, None
    cpath = cache.cache_path(target_dir) if target_dir is not None else None
    refresh_results: dict[str, Any] = {}
    notes: list[str] = []
    try:
        deadline = options.deadline
        if refresh:
            report = refresh_platform(
                client, targets, workers=workers, budget=max(1.0, options.deadline / 2)
            )
            refresh_results, notes = report.results, list(report.warnings)
            deadline = max(1.0, options.deadline - (time.perf_counter() - started))
        facts = fetch_facts(
            client, targets, workers=workers, deadline=deadline, results=refresh_results
        )
        if cpath is not None and facts:
            cache.store(cpath, facts.values(), now())
    except (AuthenticationError, ForbiddenError):
        raise
    except ApiError as exc:
        api_error = str(exc)
        if options.on_api_error == "cached" and cpath is not None:
            wanted = {t.unique_id: t.qualified_name for t in targets}
            facts = cache.load(cpath, wanted, now(), options.cache_ttl)
            if facts is not None:
                facts_from = "cache"
                note = (
                    f"platform unavailable ({exc}); using cached facts younger than "
                    f"{options.cache_ttl:g} h"
                )
    timings["fetch"] = time.perf_counter() - started
    started = time.perf_counter()
    at = now()
    requests = int(getattr(getattr(client, "stats", None), "requests", 0) or 0)
    if facts is None and api_error is not None:
        unknown = {
            t.unique_id: SourceFact(t.unique_id, t.qualified_name, "unknown") for t in targets
        }
        decision = Decision(Outcome.PASS, ())
        if options.on_api_error == "open":
            decision = decide(infos, unknown, {k: Policy() for k in infos}, at)
            decision = Decision(Outcome.WARN, decision.sources)
            label, code, facts_from = "warn", int(ExitCode.OK), "none"
            note = f"platform unavailable ({api_error}); running anyway (on_api_error=open)"
        else:
            label, code, facts_from = "error", int(ExitCode.PLATFORM_UNAVAILABLE), "none"
            note = (
                f"platform unavailable ({api_error}): not running (on_api_error="
                f"{options.on_api_error}); retry later or use --on-api-error open|cached"
            )
        skipped: set[str] = set()
    else:
        decision = decide(infos, facts or {}, policies, at)
        label = decision.outcome.value
        blocked = [d.info.unique_id for d in decision.blocked]
        skipped = skip_set(blocked, selected, descendants) if blocked else set()
        code = int(ExitCode.BLOCKED) if decision.outcome is Outcome.BLOCK else int(ExitCode.OK)
        if options.mode == "skip" and blocked and skipped != set(selected):
            code = int(ExitCode.OK)
    timings["decide"] = time.perf_counter() - started
    note = "; ".join([*notes, *([note] if note else [])]) or None
    skipped_sel = sorted(selectors.get(n, n) for n in skipped)
    payload = results_payload(
        decision, mode=options.mode, generated_at=at, blocked_nodes=skipped, decision_label=label
    )
    result = GateResult(
        decision=decision,
        options=options,
        exit_code=code,
        label=label,
        generated_at=at,
        selected=selected,
        skipped=sorted(skipped),
        skipped_selectors=skipped_sel,
        facts_from=facts_from,
        api_error=api_error,
        note=note,
        requests=requests,
        timings=timings,
        results_json=results_json(payload),
    )
    result.artifact = artifact(
        decision,
        options=options,
        generated_at=at,
        timings=timings,
        requests=requests,
        skipped=result.skipped,
        skipped_selectors=skipped_sel,
        decision_label=label,
        api_error=api_error,
        facts_from=facts_from,
        exit_code=code,
    )
    return result
