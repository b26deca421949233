"""Human-readable terminal report of a gate decision (rich table + what to do).

Rendering only: writes to the Console it is given; never decides or fetches anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dbt_armor.gate.decide import Decision, SourceDecision
from dbt_armor.gate.facts import Level, Reason

STYLES = {"pass": "green", "warn": "yellow", "block": "bold red"}
FOLD_PASSING_AFTER = 20  # more sources than this: passing ones become one summary row
_RANK = {"block": 0, "warn": 1, "pass": 2}


def table_rows(
    sources: Iterable[SourceDecision], fold_after: int = FOLD_PASSING_AFTER
) -> tuple[list[SourceDecision], int]:
    """The rows to show, problems first (block, warn, then pass; stable within each), and how
    many passing sources are folded into one line (only when there are more than
    ``fold_after`` sources; the JSON and JUnit reports always list every source)."""
    ordered = sorted(sources, key=lambda d: _RANK.get(d.outcome.value, 0))
    if len(ordered) <= fold_after:
        return ordered, 0
    shown = [d for d in ordered if d.outcome.value != "pass"]
    return shown, len(ordered) - len(shown)


def _num(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def age_cell(hours: float | None, threshold: float | None) -> str:
    """``40.0 h / 24 h``: hours since the last update over the threshold (``-`` if unknown)."""
    age = "-" if hours is None else f"{hours:.1f} h"
    return age if threshold is None else f"{age} / {_num(threshold)} h"


def problem_line(d: SourceDecision, reason: Reason) -> str:
    """One problem: dbt's name first, the platform's qualified name in brackets, then the fix."""
    qn = d.info.qualified_name
    message = reason.message
    rest = message[len(qn) :] if message.startswith(qn) else f": {message}"
    name = d.info.display
    where = f"{name} ({qn})" if name != qn else qn
    return f"{where}{rest}: {reason.hint}"


def render_console(
    console: Console,
    decision: Decision,
    *,
    mode: str,
    skipped: Iterable[str] = (),
    note: str | None = None,
    header: str | None = None,
    final: str | None = None,
) -> None:
    """Print what was checked, the table of sources, one line per problem with its fix, and
    the final verdict line (``final``, else one built from the decision)."""
    if header:
        console.print(f"dbt-armor gate: checking {escape(header)}", highlight=False)
    table = Table(title="dbt-armor gate", title_justify="left", expand=False)
    table.add_column("source", no_wrap=True, overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("age / threshold", justify="right", no_wrap=True)
    table.add_column("failing rules", justify="right")
    table.add_column("outcome", no_wrap=True)
    shown, folded = table_rows(decision.sources)
    for d in shown:
        style = STYLES[d.outcome.value]
        table.add_row(
            escape(d.info.display),
            d.fact.status,
            age_cell(d.fact.hours_since_update, d.fact.threshold_hours),
            str(len(d.fact.failures)),
            f"[{style}]{d.outcome.value}[/{style}]",
        )
    if folded:
        table.add_row(f"… {folded} more source(s) passed", "", "", "", "[green]pass[/green]")
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
            console.print(f"{tag} {escape(problem_line(d, r))}", highlight=False, soft_wrap=True)
    skipped = sorted(skipped)
    if skipped and mode == "skip":
        console.print(
            f"Skipping {len(skipped)} node(s) downstream of blocked sources: " + ", ".join(skipped),
            highlight=False,
        )
    if final is not None:
        style = STYLES["pass"] if final.startswith("Gate decision: pass") else "bold"
        console.print(f"[{style}]{escape(final)}[/{style}]", highlight=False, soft_wrap=True)
        return
    verdict = decision.outcome.value
    console.print(
        f"Gate decision: [{STYLES[verdict]}]{verdict}[/{STYLES[verdict]}] "
        f"({len(decision.sources)} source(s), {len(decision.blocked)} blocking, "
        f"{len(decision.warned)} warning)"
    )
