"""Value types of a PR check report and the merge policy (``--fail-on``).

Plain data and one pure decision; no I/O, no rendering, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dbt_armor.ci.diff import ChangeSet
from dbt_armor.errors import UsageError

FAIL_ON_CHOICES = ("blocked", "warn", "unmapped", "drift", "plan", "none")
DEFAULT_FAIL_ON = ("blocked",)


@dataclass(frozen=True)
class SourceRow:
    """Live platform status of one source the changed nodes read."""

    unique_id: str
    qualified_name: str
    status: str
    outcome: str  # pass | warn | block
    reasons: tuple[str, ...]
    file: str | None


@dataclass(frozen=True)
class PlanRow:
    """One step of the rule sync the merge would cause (or a drifted rule)."""

    action: str  # create | update | replace | delete
    kind: str  # validity | referential | freshness
    name: str
    table: str
    node_id: str | None
    detail: str
    file: str | None


@dataclass(frozen=True)
class UnmappedRow:
    """A changed node or upstream source whose qualified name is not on the platform."""

    unique_id: str
    qualified_name: str
    cause: str
    file: str | None


@dataclass(frozen=True)
class ImpactRow:
    """What sits below a changed node: dbt exposures and platform lineage consumers."""

    unique_id: str
    qualified_name: str | None
    exposures: tuple[str, ...]
    consumers: tuple[str, ...]


@dataclass(frozen=True)
class CiReport:
    """Everything ``dbt-armor ci`` found; renderers read only this."""

    changes: ChangeSet
    generated_at: str
    sources: tuple[SourceRow, ...] = ()
    plan: tuple[PlanRow, ...] = ()
    drift: tuple[PlanRow, ...] = ()
    unmapped: tuple[UnmappedRow, ...] = ()
    impact: tuple[ImpactRow, ...] = ()
    notes: tuple[str, ...] = ()
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON
    failures: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        def rows(items: Iterable[Any]) -> list[dict[str, Any]]:
            return [dict(vars(i)) for i in items]

        return {
            "version": 1,
            "generated_at": self.generated_at,
            "outcome": "fail" if self.failures else "pass",
            "fail_on": list(self.fail_on),
            "failures": list(self.failures),
            "changes": [dict(vars(c)) for c in self.changes.changes],
            "modified_plus": sorted(self.changes.modified_plus),
            "upstream_sources": sorted(self.changes.upstream_sources),
            "sources": rows(self.sources),
            "plan": rows(self.plan),
            "drift": rows(self.drift),
            "unmapped": rows(self.unmapped),
            "impact": rows(self.impact),
            "notes": list(self.notes),
        }


def parse_fail_on(value: str) -> tuple[str, ...]:
    """``blocked,unmapped`` -> ('blocked', 'unmapped'); ``none`` -> ()."""
    items = tuple(dict.fromkeys(p.strip().lower() for p in value.split(",") if p.strip()))
    bad = [p for p in items if p not in FAIL_ON_CHOICES]
    if bad:
        raise UsageError(
            f"unknown --fail-on value {', '.join(bad)!s}",
            hint=f"use a comma list of {', '.join(FAIL_ON_CHOICES)}",
        )
    return () if "none" in items else items


def merge_failures(
    fail_on: Iterable[str],
    sources: Iterable[SourceRow],
    plan: Iterable[PlanRow],
    drift: Iterable[PlanRow],
    unmapped: Iterable[UnmappedRow],
) -> tuple[str, ...]:
    """One line per category that the policy says blocks the merge (empty = merge allowed)."""
    wanted = set(fail_on)
    sources = list(sources)
    out: list[str] = []
    blocked = [s for s in sources if s.outcome == "block"]
    warned = [s for s in sources if s.outcome == "warn"]
    if "blocked" in wanted and blocked:
        out.append(f"{len(blocked)} upstream source(s) would block the run on the platform")
    if "warn" in wanted and warned:
        out.append(f"{len(warned)} upstream source(s) have warnings on the platform")
    if "unmapped" in wanted and (n := len(list(unmapped))):
        out.append(f"{n} name(s) do not resolve on the platform")
    if "drift" in wanted and (n := len(list(drift))):
        out.append(f"{n} platform rule(s) have drifted from the dbt tests")
    if "plan" in wanted and (n := len(list(plan))):
        out.append(f"{n} rule change(s) would be synced on merge")
    return tuple(out)
