"""Console output for sync: a compact plan (one unwrapped line per change), unmapped tests
grouped by reason, warnings, the apply progress bar and the final apply line.

Owns presentation only (rich); it must not compute plans or call the platform.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from dbt_armor.sync.plan import Plan
from dbt_armor.sync.result import ApplyResult
from dbt_armor.sync.specs import Action, Change, Kind, Unmapped

_SYMBOL = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.REPLACE: ("±", "magenta"),
    Action.DELETE: ("-", "red"),
    Action.UNCHANGED: ("=", "dim"),
}
_ORDER = {a: i for i, a in enumerate(_SYMBOL)}
_TARGET_MAX = 40
_SEVERITY_W = 8
_GROUPS_SHOWN = 12
_LONG_FIELDS = frozenset({"description", "definition", "name"})


def summary_line(plan: Plan) -> str:
    """``Plan: 37 to create, 0 to update, 0 to replace, 0 to delete, 12 unchanged; 5 unmapped``."""
    counts = plan.counts()
    prune = sum(1 for c in plan.changes if c.needs_prune)
    deletes = counts["delete"]
    if prune and prune == deletes:
        delete_note = " (needs --prune)"
    elif prune:
        delete_note = f" ({prune} need --prune)"
    else:
        delete_note = ""
    scope = " [scoped]" if plan.scoped else ""
    return (
        f"Plan{scope}: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {deletes} to delete{delete_note}, "
        f"{counts['unchanged']} unchanged; {len(plan.unmapped)} unmapped"
    )


def kind_line(changes: Sequence[Change]) -> str | None:
    """``by kind: 30 validity, 5 referential, 2 freshness`` (None when there is one kind)."""
    counts = {k: sum(1 for c in changes if c.kind is k) for k in Kind}
    present = [f"{n} {k.value}" for k, n in counts.items() if n]
    return "  by kind: " + ", ".join(present) if len(present) > 1 else None


def _short(value: object, width: int = 24) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def detail(change: Change) -> str:
    """The rule text, plus what changes for an update/replace and why for a delete."""
    if change.action is Action.UPDATE:
        parts = [
            d.field
            if d.field in _LONG_FIELDS
            else f"{d.field} {_short(d.before)}→{_short(d.after)}"
            for d in change.diffs
        ]
        return f"{change.rule}  ({'; '.join(parts)})" if parts else change.rule
    if change.action is Action.REPLACE:
        return f"{change.rule}  (was: {_short(_before(change), 40)})"
    if change.action is Action.DELETE:
        note = ", needs --prune" if change.needs_prune else ""
        return f"{change.rule or change.name}  ({change.reason}{note})"
    return change.rule


def _before(change: Change) -> str:
    for diff in change.diffs:
        if diff.field == "rule" and diff.before:
            return str(diff.before)
    for diff in change.diffs:
        if diff.before is not None:
            return str(diff.before) if diff.field == "definition" else f"{diff.field} set"
    return "another definition"


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def _rows(plan: Plan, verbose: bool) -> list[Change]:
    rows = [c for c in plan.changes if verbose or c.action is not Action.UNCHANGED]
    return sorted(rows, key=lambda c: (_ORDER[c.action], c.target, c.kind.value, c.key))


def print_changes(changes: Sequence[Change], console: Console, *, verbose: bool) -> None:
    """One line per change: symbol, kind, target, rule text, severity (``-v`` adds the key)."""
    if not changes:
        return
    width = max(console.width, 60)
    kind_w = max(len(c.kind.value) for c in changes)
    target_w = min(_TARGET_MAX, max(len(c.target or c.table_path) for c in changes))
    rule_w = width - (2 + kind_w + 2 + target_w + 2 + 2 + _SEVERITY_W)
    for change in changes:
        symbol, style = _SYMBOL[change.action]
        line = Text()
        line.append(f"{symbol} ", style=style)
        line.append(_fit(change.kind.value, kind_w) + "  ")
        line.append(_fit(change.target or change.table_path, target_w) + "  ", style="bold")
        if change.severity:
            line.append(_fit(detail(change), rule_w) + "  ")
            line.append(_fit(change.severity, _SEVERITY_W).rstrip(), style="dim")
        else:  # freshness and referential rows have no severity: the rule text takes its place
            line.append(_fit(detail(change), rule_w + 2 + _SEVERITY_W))
        line.rstrip()
        console.print(line, no_wrap=True, overflow="ellipsis", crop=True)
        if verbose:
            key = Text(f"    key {change.key}", style="dim")
            console.print(key, soft_wrap=True)


def _by_reason(unmapped: Sequence[Unmapped]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for item in unmapped:
        groups.setdefault(item.reason, []).append(item.name or item.unique_id)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def print_unmapped(unmapped: Sequence[Unmapped], console: Console, *, verbose: bool) -> None:
    """``Not synced (5):`` then one line per reason (``-v``: every test on its own line)."""
    if not unmapped:
        return
    console.print(Text(f"Not synced ({len(unmapped)}):", style="bold"))
    groups = _by_reason(unmapped)
    shown = groups if verbose else groups[:_GROUPS_SHOWN]
    for reason, names in shown:
        if verbose:
            console.print(f"  {reason} ({len(names)}):", markup=False, highlight=False)
            for name in names:
                console.print(f"    {name}", markup=False, highlight=False)
            continue
        line = f"  {reason} ({len(names)}): {', '.join(names)}"
        console.print(line, markup=False, highlight=False, no_wrap=True, overflow="ellipsis")
    if len(shown) < len(groups):
        console.print(f"  … {len(groups) - len(shown)} more reasons (use -v)", markup=False)


def print_plan(plan: Plan, console: Console, *, verbose: bool = False) -> None:
    console.print(summary_line(plan), markup=False, highlight=False, soft_wrap=True)
    rows = _rows(plan, verbose)
    by_kind = kind_line([c for c in rows if c.action is not Action.UNCHANGED])
    if by_kind:
        console.print(by_kind, style="dim", markup=False, highlight=False)
    print_changes(rows, console, verbose=verbose)
    print_unmapped(plan.unmapped, console, verbose=verbose)
    for warning in plan.warnings:
        text = Text(f"warning: {warning}", style="yellow")
        if verbose:
            console.print(text)
        else:
            console.print(text, no_wrap=True, overflow="ellipsis")


_PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def result_line(result: ApplyResult, seconds: float, requests: int) -> str:
    """``Applied: 3 created, 1 updated, 0 replaced, 0 deleted, 0 reconciled, 0 cleaned up in
    1.2 s (9 requests)``: reconciled = found after a lost answer, cleaned up = extra copies
    (a concurrent apply's or a late commit's) deleted afterwards."""
    done = ", ".join(f"{result.done[a]} {p}" for a, p in _PAST.items())
    return (
        f"Applied: {done}, {result.reconciled} reconciled, {result.cleaned_up} cleaned up "
        f"in {seconds:.1f} s ({requests} requests)"
    )


def undone_line(result: ApplyResult) -> str | None:
    """``Not done: 2 failed, 31 not attempted (stopped: …)``, or None when all went through."""
    if not result.errors and not result.not_done:
        return None
    why = f" (stopped: {result.stopped})" if result.stopped else ""
    return f"Not done: {len(result.errors)} failed, {len(result.not_done)} not attempted{why}"


def print_result(result: ApplyResult, console: Console, seconds: float, requests: int) -> None:
    line = result_line(result, seconds, requests)
    console.print(line, markup=False, highlight=False, soft_wrap=True)
    undone = undone_line(result)
    if undone is not None:
        console.print(undone, markup=False, highlight=False, style="yellow", soft_wrap=True)
