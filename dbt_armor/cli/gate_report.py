"""Renders a GateResult for the CLI: console, --format json, JUnit, Markdown, GitHub outputs.

Output only; decides nothing. Reads GITHUB_ACTIONS / GITHUB_STEP_SUMMARY from the environment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from dbt_armor.files import write_atomic
from dbt_armor.gate.result import GateResult
from dbt_armor.report.annotations import render_annotations
from dbt_armor.report.console import render_console
from dbt_armor.report.junit import render_junit
from dbt_armor.report.markdown import render_markdown
from dbt_armor.report.summary import ICONS, checked_line, final_line


def env_vars(text: str) -> dict[str, str]:
    """DBT_ARMOR_RESULTS (chunked above 100,000 bytes) for dbt's environment."""
    from dbt_armor.dbt.env import results_env

    return results_env(text)


def emit_reports(
    console: Console, result: GateResult, opts: dict[str, Any], *, json_out: bool
) -> None:
    """Every output of one gate run, each repeating the same outcome."""
    checked = checked_line(result.checked) if result.checked else None
    render_console(
        console,
        result.decision,
        mode=result.options.mode,
        skipped=result.skipped,
        note=result.note,
        header=checked,
        final=final_line(result),
    )
    if opts.get("junit_xml"):
        props = {"outcome": result.outcome.value, "exit_code": str(result.exit_code)}
        if checked:
            props["checked"] = checked
        write_atomic(
            Path(opts["junit_xml"]),
            render_junit(
                result.decision, duration=result.timings.get("fetch", 0), properties=props
            ),
        )
    markdown = render_markdown(
        result.decision,
        mode=result.options.mode,
        skipped=result.skipped,
        title=ICONS[result.outcome],
        checked=checked,
        note=result.note,
        verb="checked" if result.facts_from != "none" else "not checked",
    )
    if opts.get("markdown"):
        write_atomic(Path(opts["markdown"]), markdown)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(markdown)
        except OSError as exc:
            console.print(f"dbt-armor: warning: cannot write GITHUB_STEP_SUMMARY: {exc}")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in render_annotations(result.decision):
            sys.stdout.write(line + "\n") if not json_out else sys.stderr.write(line + "\n")
    if json_out:
        sys.stdout.write(json.dumps(result.artifact, indent=2, sort_keys=True) + "\n")
