"""The versioned JSON form of a Plan (``--out plan.json``) and reading it back.

Owns the file format (schema_version 1, stable key order) and its digest: a file whose changes
were edited after `sync plan` wrote it is refused. It must not diff or apply.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbt_armor.errors import PlanError
from dbt_armor.sync.keys import canonical_hash
from dbt_armor.sync.plan import SCHEMA_VERSION, Plan
from dbt_armor.sync.specs import Action, Change, FieldDiff, Kind, Unmapped


def change_to_dict(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "kind": change.kind.value,
        "key": change.key,
        "node_id": change.node_id,
        "name": change.name,
        "data_source": change.data_source,
        "table_path": change.table_path,
        "remote_id": change.remote_id,
        "needs_prune": change.needs_prune,
        "reason": change.reason,
        "target": change.target,
        "rule": change.rule,
        "severity": change.severity,
        "diffs": [d.as_dict() for d in change.diffs],
        "payload": dict(change.payload) if change.payload is not None else None,
        "patch": dict(change.patch) if change.patch is not None else None,
    }


def digest(raw: dict[str, Any]) -> str:
    """sha256 over what apply acts on: the changes and the state they were planned against."""
    body = {k: raw.get(k) for k in _DIGESTED}
    return canonical_hash(json.loads(json.dumps(body, default=str)))


_DIGESTED = ("remote_fingerprint", "dialect", "scoped", "data_sources", "changes")


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    out = _body(plan)
    out["digest"] = digest(out)
    return out


def _body(plan: Plan) -> dict[str, Any]:
    return {
        "schema_version": plan.schema_version,
        "generated_at": plan.generated_at,
        "remote_fingerprint": plan.remote_fingerprint,
        "dialect": plan.dialect,
        "scoped": plan.scoped,
        "data_sources": list(plan.data_sources),
        "summary": plan.counts(),
        "changes": [change_to_dict(c) for c in plan.changes],
        "unmapped": [u.as_dict() for u in plan.unmapped],
        "warnings": list(plan.warnings),
    }


def dumps(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, sort_keys=False, default=str) + "\n"


def _change(raw: dict[str, Any]) -> Change:
    return Change(
        action=Action(raw["action"]),
        kind=Kind(raw["kind"]),
        key=str(raw["key"]),
        node_id=raw.get("node_id"),
        name=str(raw.get("name") or ""),
        data_source=str(raw["data_source"]),
        table_path=str(raw.get("table_path") or ""),
        remote_id=raw.get("remote_id"),
        payload=raw.get("payload"),
        patch=raw.get("patch"),
        diffs=tuple(FieldDiff(d["field"], d.get("before"), d.get("after")) for d in raw["diffs"]),
        needs_prune=bool(raw.get("needs_prune", False)),
        reason=str(raw.get("reason") or ""),
        target=str(raw.get("target") or ""),
        rule=str(raw.get("rule") or ""),
        severity=raw.get("severity"),
    )


def plan_from_dict(raw: Any) -> Plan:
    if not isinstance(raw, dict) or "schema_version" not in raw:
        raise PlanError("not a dbt-armor plan file", hint="write one with `sync plan --out`")
    if raw["schema_version"] != SCHEMA_VERSION:
        raise PlanError(
            f"plan schema_version {raw['schema_version']} is not supported",
            hint=f"re-run `dbt-armor sync plan` with this version (schema {SCHEMA_VERSION})",
        )
    try:
        plan = Plan(
            generated_at=str(raw["generated_at"]),
            remote_fingerprint=str(raw["remote_fingerprint"]),
            dialect=str(raw.get("dialect") or "upper"),
            data_sources=tuple(raw.get("data_sources") or ()),
            changes=tuple(_change(c) for c in raw["changes"]),
            unmapped=tuple(Unmapped(**u) for u in raw.get("unmapped") or ()),
            warnings=tuple(raw.get("warnings") or ()),
            scoped=bool(raw.get("scoped", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(
            f"plan file is malformed ({exc.__class__.__name__}: {exc})",
            hint="re-run `dbt-armor sync plan --out` to write a fresh one",
        ) from exc
    if raw.get("digest") != digest(raw):
        raise PlanError(
            "plan file was changed after `sync plan` wrote it (its digest does not match)",
            hint="do not edit plan files; run `dbt-armor sync plan --out` again",
        )
    return plan


def load(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(
            f"cannot read plan file {path}: {exc.strerror}", hint="check the path"
        ) from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"plan file {path} is not JSON (line {exc.lineno})",
            hint="re-run `dbt-armor sync plan --out`",
        ) from exc
    return plan_from_dict(raw)
