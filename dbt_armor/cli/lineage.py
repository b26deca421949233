"""``dbt-armor lineage publish``: parse flags, resolve settings, publish, print the outcome.

No lineage logic here: everything is in ``dbt_armor.lineage``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from dbt_armor.cli.options import (
    api_url_option,
    deprecated_alias,
    manifest_option,
    output_format_option,
    project_dir_option,
    project_invocation,
    target_option,
)
from dbt_armor.cli.output import emit_json, progress_interval
from dbt_armor.errors import CommandOutcome, UsageError


@click.group(name="lineage")
def command() -> None:
    """Publish the dbt lineage (sources, seeds, models, snapshots, exposures) to the platform."""


@command.command(name="publish")
@project_dir_option()
@manifest_option("manifest.json to publish [default: <project-dir>/target/manifest.json].")
@target_option()
@click.option("--data-source", default=None, help="Platform data-source name (overrides config).")
@click.option("--asset-id", default=None, help="Data-source asset id (skips the name lookup).")
@click.option(
    "--slim/--full",
    default=True,
    show_default=True,
    help="Upload only what the importer reads (--slim) or dbt's manifest as written (--full).",
)
@click.option("--force", is_flag=True, help="Upload even if the lineage is unchanged.")
@click.option("--wait", is_flag=True, help="Wait for the platform's catalog sync job to finish.")
@click.option("--wait-timeout", type=float, default=300.0, show_default=True, help="Seconds.")
@click.option(
    "--sync-to-catalog/--no-sync-to-catalog",
    default=True,
    show_default=True,
    help="Ask the platform to start a catalog sync after the upload.",
)
@api_url_option()
@output_format_option()
@deprecated_alias("--json", "--format json", "fmt", flag_value="json")
def publish_cmd(
    project_dir: Path,
    manifest_path: Path | None,
    target: str | None,
    data_source: str | None,
    asset_id: str | None,
    slim: bool,
    force: bool,
    wait: bool,
    wait_timeout: float,
    sync_to_catalog: bool,
    api_url: str | None,
    fmt: str,
) -> CommandOutcome:
    """Upload the project's lineage to its data source; skipped when unchanged."""
    from dbt_armor.config import resolve_settings
    from dbt_armor.lineage import publish

    if wait_timeout <= 0:
        raise UsageError("--wait-timeout must be positive", hint="pass a number of seconds")
    invocation = project_invocation(project_dir, target)
    overrides = {"api_url": api_url} if api_url else {}
    settings = resolve_settings(overrides, os.environ, invocation.project_dir, None)
    path = manifest_path or invocation.target_path / "manifest.json"
    from contextlib import nullcontext

    from rich.console import Console

    from dbt_armor.report.progress import Progress

    # only --wait can take long enough to look hung; progress goes to stderr
    bar = Progress("catalog sync", Console(stderr=True), interval=progress_interval())
    with bar if wait else nullcontext(bar):
        if wait:
            bar.start(None)
        outcome = publish(
            settings,
            path,
            target=invocation.target.value,
            data_source=data_source,
            asset_id=asset_id,
            slim=slim,
            force=force,
            wait=wait,
            wait_timeout=wait_timeout,
            sync_to_catalog=sync_to_catalog,
            on_poll=lambda job: bar.status(f"job {job.job_id} {job.status}"),
        )
    if fmt == "json":
        emit_json("lineage publish", outcome.to_json())
    else:
        click.echo(outcome.summary())
    return CommandOutcome.OK
