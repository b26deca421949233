"""``dbt-armor gate``: check the selection's upstream sources without running dbt.

Only checks and reports (optionally writes DBT_ARMOR_RESULTS for a later plain dbt run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dbt_armor.cli.wrap import PASS_THROUGH, gate_options, run_gate, started


@click.command(name="gate", context_settings=PASS_THROUGH)
@gate_options
@click.option(
    "--emit-env",
    type=click.Path(path_type=Path),
    default=None,
    help="Write `export DBT_ARMOR_RESULTS=...` lines for a later `dbt run`.",
)
@click.option(
    "--command",
    "gate_command",
    type=click.Choice(["build", "run", "seed", "snapshot"]),
    default="build",
    help="The dbt command that will run next; decides which resource types are gated "
    "(build: models, seeds, snapshots; run: models only). A dbt --resource-type narrows it.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Select on this manifest.json instead of running dbt (no dbt or warehouse needed; "
    "supports names, fqn:, tag:, path:, source:, resource_type:, config.materialized:, "
    "graph operators, unions and intersections).",
)
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def command(ctx: click.Context, /, dbt_args: tuple[str, ...], **opts: Any) -> int:
    """Check upstream freshness and quality for a dbt selection (exit 0, 3 or 4)."""
    return run_gate(opts, [*dbt_args, *ctx.args], None, started(ctx))
