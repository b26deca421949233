"""Markdown summary of a gate decision (for --markdown and $GITHUB_STEP_SUMMARY).

Pure rendering; escapes table cells so names and messages cannot break the table.
"""

from __future__ import annotations

from collections.abc import Iterable

from dbt_armor.gate.decide import Decision

ICONS = {"pass": "✅ pass", "warn": "⚠️ warn", "block": "⛔ block"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def render_markdown(
    decision: Decision,
    *,
    mode: str,
    skipped: Iterable[str] = (),
    title: str | None = None,
    checked: str | None = None,
    note: str | None = None,
    verb: str = "checked",
) -> str:
    """The summary; ``title`` is the run outcome (else the decision's), ``checked`` what ran."""
    lines = [
        f"## dbt-armor gate: {title or ICONS[decision.outcome.value]}",
        "",
        f"{len(decision.sources)} upstream source(s) {verb}, "
        f"{len(decision.blocked)} blocking, {len(decision.warned)} warning; mode `{mode}`.",
        "",
    ]
    if checked:
        lines += [f"Checked {_cell(checked)}.", ""]
    if note:
        lines += [f"> {_cell(note)}", ""]
    if decision.sources:
        lines += [
            "| source | status | hours since update | threshold | outcome | why / what to do |",
            "|---|---|---|---|---|---|",
        ]
        for d in decision.sources:
            why = "<br>".join(_cell(f"{r.message}: {r.hint}") for r in d.reasons)
            lines.append(
                f"| `{_cell(d.info.qualified_name)}` | {d.fact.status} "
                f"| {_hours(d.fact.hours_since_update)} | {_hours(d.fact.threshold_hours)} "
                f"| {ICONS[d.outcome.value]} | {why} |"
            )
    skipped = sorted(skipped)
    if skipped:
        lines += ["", f"Skipped {len(skipped)} node(s) downstream of blocked sources:", ""]
        lines += [f"- `{_cell(s)}`" for s in skipped]
    return "\n".join(lines) + "\n"
