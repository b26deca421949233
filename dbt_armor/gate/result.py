"""GateResult: everything one gate run found and concluded, as one frozen value.

Its outputs (the artifact, the results handed to dbt, the exit code) are derived from it, so
they cannot disagree with each other. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dbt_armor.errors import GateOutcome
from dbt_armor.gate.decide import Decision
from dbt_armor.gate.policy import RunOptions
from dbt_armor.gate.verdict import Verdict

# The short label of each outcome (the ``decision`` field older readers know).
LABELS = {
    GateOutcome.PASS: "pass",
    GateOutcome.NO_SOURCES: "pass",
    GateOutcome.WARN: "warn",
    GateOutcome.UNCHECKED: "warn",
    GateOutcome.BLOCK: "block",
    GateOutcome.SKIP: "block",
    GateOutcome.UNAVAILABLE: "error",
    GateOutcome.NOT_CONFIGURED: "error",
}


@dataclass(frozen=True)
class GateResult:
    """One gate run: per-source decisions, the verdict, where the facts came from, timings."""

    decision: Decision
    options: RunOptions
    verdict: Verdict
    generated_at: datetime
    selected: frozenset[str] = frozenset()
    skipped: list[str] = field(default_factory=list)
    skipped_selectors: list[str] = field(default_factory=list)
    facts_from: str = "platform"  # platform | cache | none
    cache_age_hours: float | None = None
    api_error: str | None = None
    note: str | None = None
    requests: int = 0
    timings: Mapping[str, float] = field(default_factory=dict)
    checked: Mapping[str, Any] = field(default_factory=dict)  # target, data sources, origins

    @property
    def outcome(self) -> GateOutcome:
        return self.verdict.outcome

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    @property
    def label(self) -> str:
        """pass | warn | block | error."""
        return LABELS[self.verdict.outcome]

    @property
    def blocked(self) -> bool:
        """True when dbt must not run (blocked, platform unavailable, not configured)."""
        return self.exit_code != 0

    @property
    def results_json(self) -> str:
        """DBT_ARMOR_RESULTS text for the macros."""
        from dbt_armor.gate.results import results_json, results_payload

        return results_json(results_payload(self))

    @property
    def artifact(self) -> dict[str, Any]:
        """The target/armor_gate.json document (before dbt ran)."""
        from dbt_armor.gate.results import artifact

        return artifact(self)
