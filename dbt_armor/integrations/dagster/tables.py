"""The gate's verdict as Dagster metadata: a table of sources, statuses and reasons, and the
``Failure`` a blocked step raises. Pure shaping of a GateResult; no platform calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dagster as dg

from dbt_armor.gate.engine import GateResult

COLUMNS = ("source", "qualified_name", "status", "hours_since_update", "outcome", "reasons")


@dataclass(frozen=True)
class SourceTable:
    rows: list[dict[str, str]]

    @property
    def text(self) -> str:
        """Plain-text lines for the run log."""
        return "\n".join(
            f"  {r['outcome']:<5} {r['source']} ({r['status']}) {r['reasons']}".rstrip()
            for r in self.rows
        )

    def metadata(self) -> Any:
        schema = dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in COLUMNS])
        records = [dg.TableRecord(r) for r in self.rows]
        return dg.MetadataValue.table(records=records, schema=schema)


def source_table(result: GateResult) -> SourceTable:
    rows = []
    for d in result.decision.sources:
        hours = d.fact.hours_since_update
        rows.append(
            {
                "source": d.info.display,
                "qualified_name": d.info.qualified_name,
                "status": d.fact.status,
                "hours_since_update": "" if hours is None else f"{hours:.1f}",
                "outcome": d.outcome.value,
                "reasons": "; ".join(r.message for r in d.reasons),
            }
        )
    return SourceTable(rows)


def gate_metadata(result: GateResult) -> dict[str, Any]:
    """Metadata for a run, a Failure or an asset check: decision, exit code, sources, note."""
    return {
        "dbt_armor/decision": result.label,
        "dbt_armor/exit_code": result.exit_code,
        "dbt_armor/note": result.note or "",
        "dbt_armor/sources": source_table(result).metadata(),
        "dbt_armor/gate": dg.MetadataValue.json(result.artifact),
    }


def failure(result: GateResult) -> dg.Failure:
    """The Failure for a blocked gate (or an unreachable platform under on_api_error=fail)."""
    blocked = [d.info.display for d in result.decision.blocked]
    what = f"blocked by {', '.join(blocked)}" if blocked else (result.note or result.label)
    return dg.Failure(
        description=f"dbt-armor gate: {result.label} (exit {result.exit_code}): {what}",
        metadata=gate_metadata(result),
        allow_retries=False,
    )
