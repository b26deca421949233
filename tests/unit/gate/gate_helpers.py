"""Builders for gate unit tests: small facts, infos and decisions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from dbt_armor.gate.decide import Decision, decide
from dbt_armor.gate.facts import RuleFailure, SourceFact, SourceInfo
from dbt_armor.gate.policy import Policy, RunOptions
from dbt_armor.gate.result import GateResult
from dbt_armor.gate.verdict import GateRequest, conclude, settle

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


def info(name: str = "orders", **kw: object) -> SourceInfo:
    base: dict[str, object] = {
        "unique_id": f"source.pkg.raw.{name}",
        "qualified_name": f"warehouse.demo.raw.{name}",
        "original_file_path": "models/staging/sources.yml",
        "feeds": frozenset({f"model.pkg.stg_{name}"}),
    }
    base.update(kw)
    return SourceInfo(**base)  # type: ignore[arg-type]


def fact(name: str = "orders", status: str = "fresh", **kw: object) -> SourceFact:
    base: dict[str, object] = {
        "unique_id": f"source.pkg.raw.{name}",
        "qualified_name": f"warehouse.demo.raw.{name}",
        "status": status,
        "hours_since_update": 1.0,
        "threshold_hours": 24.0,
    }
    base.update(kw)
    return SourceFact(**base)  # type: ignore[arg-type]


def failure(severity: str = "error", kind: str = "validity") -> RuleFailure:
    return RuleFailure(kind=kind, name="orders_id_not_null", severity=severity, column="id")


def one(f: SourceFact, policy: Policy | None = None, i: SourceInfo | None = None) -> Decision:
    i = i or info(f.unique_id.rsplit(".", 1)[1])
    return decide({i.unique_id: i}, {i.unique_id: f}, {i.unique_id: policy or Policy()}, NOW)


def result_of(
    decision: Decision,
    *,
    mode: str = "block",
    on_api_error: str = "fail",
    facts_from: str = "platform",
    affected: set[str] | None = None,
    selected: set[str] | None = None,
    **kw: Any,
) -> GateResult:
    """A GateResult for ``decision`` concluded by the real verdict function."""
    chosen = frozenset(selected or {n for d in decision.sources for n in d.info.feeds})
    request = GateRequest(
        decision, facts_from, on_api_error, mode, chosen, frozenset(affected or chosen)
    )
    verdict = conclude(request)
    options = RunOptions(on_api_error=on_api_error, mode=mode)
    settled = settle(decision, verdict, kw.pop("api_error", None), on_api_error)
    return GateResult(settled, options, verdict, NOW, chosen, facts_from=facts_from, **kw)
