"""Human-readable terminal report of a gate decision (rich table + what to do).

Rendering only: writes to the Console it is given; never decides or fetches anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from dbt_armor.gate.decide import Decision
from dbt_armor.gate.facts import Level

STYLES = {"pass": "green", "warn": "yellow", "block": "bold red"}


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_console(
    console: Console,
    decision: Decision,
    *,
    mode: str,
    skipped: Iterable[str] = (),
    note: str | None = None,
) -> None:
    """Print the table of sources, then one line per problem with its fix."""
    table = Table(title="dbt-armor gate", title_justify="left", expand=False)
    table.add_column("source")
    table.add_column("status")
    table.add_column("hours", justify="right")
    table.add_column("threshold", justify="right")
    table.add_column("rules failing", justify="right")
    table.add_column("outcome")
    for d in decision.sources:
        style = STYLES[d.outcome.value]
        table.add_row(
            d.info.qualified_name,
            d.fact.status,
            _hours(d.fact.hours_since_update),
            _hours(d.fact.threshold_hours),
            str(len(d.fact.failures)),
            f"[{style}]{d.outcome.value}[/{style}]",
        )
    if decision.sources:
        console.print(table)
    else:
        console.print("dbt-armor gate: no upstream sources in the selection")
    if note:
        console.print(f"[yellow]{note}[/yellow]")
    for d in decision.sources:
        for r in d.reasons:
            tag = (
                "[bold red]BLOCK[/bold red]" if r.level is Level.ERROR else "[yellow]WARN[/yellow]"
            )
            console.print(f"{tag} {r.message}: {r.hint}", highlight=False)
    skipped = sorted(skipped)
    if skipped and mode == "skip":
        console.print(
            f"Skipping {len(skipped)} node(s) downstream of blocked sources: " + ", ".join(skipped),
            highlight=False,
        )
    verdict = decision.outcome.value
    console.print(
        f"Gate decision: [{STYLES[verdict]}]{verdict}[/{STYLES[verdict]}] "
        f"({len(decision.sources)} source(s), {len(decision.blocked)} blocking, "
        f"{len(decision.warned)} warning)"
    )
