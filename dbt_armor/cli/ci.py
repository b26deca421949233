"""``dbt-armor ci``: check a pull request against production artifacts and write the reports.

Parses flags, resolves settings, calls ``dbt_armor.ci.collect`` and writes the outputs. Exit 3
only when the ``--fail-on`` policy says the merge is blocked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from dbt_armor.cli.options import (
    FILE,
    api_url_option,
    deprecated_alias,
    json_file_option,
    junit_xml_option,
    manifest_option,
    markdown_option,
    output_format_option,
    project_dir_option,
    project_invocation,
    target_option,
)
from dbt_armor.cli.output import emit_json, say, write_report
from dbt_armor.errors import CommandOutcome, UsageError
from dbt_armor.timestamps import utc_now


@click.command(name="ci")
@project_dir_option(help=None, show_default=None)
@manifest_option("The PR's manifest.json [default: <project-dir>/target/manifest.json].")
@click.option(
    "--state",
    "state_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Production artifacts: a directory holding manifest.json (as dbt's --state).",
)
@target_option()
@click.option(
    "--fail-on",
    default="blocked",
    show_default=True,
    help="Comma list of blocked, warn, unmapped, drift, plan, or none.",
)
@markdown_option("Write the Markdown report here [default: append to $GITHUB_STEP_SUMMARY].")
@click.option("--comment-file", type=FILE, default=None, help="Markdown file for a PR comment.")
@junit_xml_option()
@json_file_option()
@output_format_option()
@deprecated_alias("--junit", "--junit-xml", "junit_path")
@deprecated_alias("--json", "--json-file", "json_path")
@click.option(
    "--annotations/--no-annotations",
    default=None,
    help="Print GitHub annotations [default: when GITHUB_ACTIONS=true].",
)
@api_url_option()
def command(
    project_dir: Path,
    manifest_path: Path | None,
    state_dir: Path,
    target: str | None,
    fail_on: str,
    markdown_path: Path | None,
    comment_file: Path | None,
    junit_path: Path | None,
    json_path: Path | None,
    fmt: str,
    annotations: bool | None,
    api_url: str | None,
) -> CommandOutcome:
    """Report what a PR changes: upstream status, rule sync on merge, unmapped names, impact."""
    from dbt_armor.api import ArmorClient
    from dbt_armor.ci.collect import collect
    from dbt_armor.ci.render import render_pr_annotations, render_pr_junit, render_pr_markdown
    from dbt_armor.ci.report import parse_fail_on
    from dbt_armor.config import resolve_settings

    policy = parse_fail_on(fail_on)
    state_manifest = state_dir / "manifest.json" if state_dir.is_dir() else state_dir
    if not state_manifest.exists():
        raise UsageError(
            f"no production manifest at {state_manifest}",
            hint="pass --state with the directory of the production run's target/ artifacts",
        )
    invocation = project_invocation(project_dir, target)
    target = invocation.target.value
    settings = resolve_settings(
        {"api_url": api_url} if api_url else {}, os.environ, invocation.project_dir
    )
    pr_manifest = manifest_path or invocation.target_path / "manifest.json"
    with ArmorClient.from_settings(settings) as client:
        report = collect(
            settings,
            pr_manifest,
            state_manifest,
            client=client,
            now=utc_now(),
            target=target,
            fail_on=policy,
        )
    click.echo(
        f"dbt-armor ci: target {target or '(unknown)'} ({invocation.target.origin})", err=True
    )
    markdown = render_pr_markdown(report)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if markdown_path is not None:
        write_report(markdown_path, markdown)
    elif summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown)
    if comment_file is not None:
        write_report(comment_file, markdown)
    if junit_path is not None:
        write_report(junit_path, render_pr_junit(report))
    if json_path is not None:
        write_report(json_path, json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n")
    if annotations if annotations is not None else os.environ.get("GITHUB_ACTIONS") == "true":
        for line in render_pr_annotations(report):
            say(line, fmt)
    for line in report.failures:
        click.echo(f"dbt-armor ci: blocking: {line}", err=True)
    verdict = "merge blocked" if report.failures else "ok"
    if fmt == "json":
        emit_json("ci", report.to_json())
    say(
        f"dbt-armor ci: {verdict}: {len(report.changes.changes)} change(s), "
        f"{len(report.sources)} source(s), {len(report.plan)} rule change(s), "
        f"{len(report.unmapped)} unmapped",
        fmt,
    )
    return CommandOutcome.MERGE_BLOCKED if report.failures else CommandOutcome.OK
