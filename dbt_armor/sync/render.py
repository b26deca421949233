"""Console output for sync: the plan table, unmapped tests, warnings and the apply progress bar.

Owns presentation only (rich); it must not compute plans or call the platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dbt_armor.sync.apply import ApplyResult
from dbt_armor.sync.model import Action, Change
from dbt_armor.sync.plan import Plan

_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
}


def _short(value: Any, width: int = 60) -> str:
    text = str(value).replace("\n", " / ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _details(change: Change) -> str:
    if change.action is Action.DELETE:
        suffix = " (needs --prune)" if change.needs_prune else ""
        return f"{change.reason}{suffix}"
    if change.action is Action.CREATE:
        return "; ".join(_short(d.after, 80) for d in change.diffs)
    parts = [f"{d.field}: {_short(d.before, 40)} -> {_short(d.after, 40)}" for d in change.diffs]
    return "; ".join(parts) or change.reason


def print_plan(plan: Plan, console: Console, *, verbose: bool = False) -> None:
    changes = [c for c in plan.changes if c.action is not Action.UNCHANGED]
    if changes:
        table = Table(show_edge=False, header_style="bold")
        for col in ("action", "kind", "rule", "key", "details"):
            table.add_column(col, overflow="fold")
        for change in changes:
            style = _STYLE.get(change.action, "")
            action = f"[{style}]{change.action.value}[/{style}]"
            cells = (change.kind.value, change.name, change.key, _details(change))
            table.add_row(action, *(escape(c) for c in cells))
        console.print(table)
    if plan.unmapped:
        console.print(f"[bold]Not synced ({len(plan.unmapped)}):[/bold]")
        shown = plan.unmapped if verbose else plan.unmapped[:20]
        for item in shown:
            console.print(f"  {item.unique_id}: {item.reason}", markup=False)
        if len(shown) < len(plan.unmapped):
            console.print(f"  … {len(plan.unmapped) - len(shown)} more (use --verbose)")
    for warning in plan.warnings:
        console.print(f"warning: {warning}", markup=False, style="yellow")
    counts = plan.counts()
    prune = sum(1 for c in plan.changes if c.needs_prune)
    summary = ", ".join(
        f"{counts[a.value]} to {a.value}" for a in Action if a is not Action.UNCHANGED
    )
    tail = f" ({prune} only with --prune)" if prune else ""
    scope = " [scoped]" if plan.scoped else ""
    console.print(f"Plan{scope}: {summary}{tail}; {counts['unchanged']} unchanged.")


_PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def print_result(result: ApplyResult, console: Console) -> None:
    done = ", ".join(f"{result.done[a]} {p}" for a, p in _PAST.items() if result.done[a])
    extra = (
        f"; {result.reconciled} reconciled after an unknown outcome" if result.reconciled else ""
    )
    console.print(f"Applied: {done or 'nothing to do'}{extra}.")


@contextmanager
def progress(console: Console) -> Iterator[tuple[Callable[[int], None], Callable[[Change], None]]]:
    """``(on_start, on_done)`` callbacks driving a progress bar (silent when not a terminal)."""
    bar = Progress(
        TextColumn("applying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    task = bar.add_task("apply", total=0)

    def on_start(total: int) -> None:
        bar.update(task, total=total)

    def on_done(change: Change) -> None:
        bar.advance(task)

    with bar:
        yield on_start, on_done
