"""``dbt-armor map``: show the qualified name of every source/seed/model/snapshot; ``--check``
asks the platform which do not resolve and why. Wiring and rendering only: rules live in
``dbt_armor.project.naming`` and ``dbt_armor.project.audit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dbt_armor.cli.options import (
    DIRECTORY,
    api_url_option,
    manifest_option,
    output_format_option,
    project_dir_option,
    project_invocation,
    target_option,
)
from dbt_armor.cli.output import emit_json
from dbt_armor.errors import ApiStatusError, AuthenticationError, CommandOutcome, ForbiddenError

if TYPE_CHECKING:
    from dbt_armor.api.client import ArmorClient
    from dbt_armor.project.audit import Finding
    from dbt_armor.project.naming import QualifiedName


@click.command(name="map")
@project_dir_option()
@click.option(
    "--target-path",
    type=DIRECTORY,
    default=None,
    help="dbt target directory [default: <project-dir>/target].",
)
@manifest_option("manifest.json to read [default: <target-path>/manifest.json].")
@target_option()
@click.option(
    "--select-resource-type",
    "resource_type",
    type=click.Choice(["sources", "all"]),
    default="all",
    show_default=True,
    help="Map only sources, or sources, seeds, models and snapshots.",
)
@click.option(
    "--case",
    type=click.Choice(["auto", "upper", "lower", "preserve"]),
    default=None,
    help="Identifier case on the platform [default: naming.case from dbt_armor.yml, or auto].",
)
@output_format_option()
@click.option(
    "--check",
    is_flag=True,
    help="Ask the platform which names do not resolve (exit 1 if any do not, else 0).",
)
@api_url_option()
def command(
    project_dir: Path,
    target_path: Path | None,
    manifest_path: Path | None,
    target: str | None,
    resource_type: str,
    case: str | None,
    fmt: str,
    check: bool,
    api_url: str | None,
) -> CommandOutcome:
    """Show how dbt nodes map to platform qualified names (data_source.database.schema.table)."""
    from dbt_armor.config import resolve_settings
    from dbt_armor.project import NameResolver, load_manifest
    from dbt_armor.report.summary import naming_line

    invocation = project_invocation(project_dir, target, target_path)
    settings = resolve_settings({"api_url": api_url}, project_dir=invocation.project_dir)
    path = manifest_path or invocation.target_path / "manifest.json"
    manifest = load_manifest(path)  # the reader itself warns about a newer schema
    resolver = NameResolver(
        manifest,
        invocation.target.value,
        settings.data_sources,
        case or settings.naming_case or "auto",
    )
    names = resolver.resolve_all(include_nodes=resource_type == "all")
    kinds = {uid: uid.split(".", 1)[0] for uid in names}
    findings: dict[str, Finding] = {}
    if check:
        from dbt_armor.api.client import ArmorClient
        from dbt_armor.project.audit import diagnose

        settings.require_key()
        with ArmorClient.from_settings(settings) as client:
            known = _known_names(client, names.values())
        dbt_names = {uid: getattr(manifest.get(uid), "name", "") for uid in names}
        findings = {f.unique_id: f for f in diagnose(names, known, dbt_names)}
    rows = [_row(uid, kinds[uid], qn, findings.get(uid), check) for uid, qn in names.items()]
    if fmt == "json":
        emit_json("map", {"names": rows, "unresolved": len(findings), "checked": check})
    else:  # one line saying which target and data source the names are for, then the table
        click.echo(naming_line("map", invocation, resolver), err=True)
        _print_table(rows, check, len(findings))
    return CommandOutcome.FINDINGS if findings else CommandOutcome.OK


def _known_names(client: ArmorClient, names: Iterable[QualifiedName]) -> set[str]:
    """Names the platform knows: one listing per data source, per-name GETs if listing fails."""
    wanted = sorted(set(names))
    known: set[str] = set()
    for data_source in sorted({qn.data_source for qn in wanted}):
        try:
            known.update(a.qualified_name for a in client.assets.iter(source=data_source))
        except (AuthenticationError, ForbiddenError):
            raise
        except ApiStatusError:
            known.update(_probe_each(client, [q for q in wanted if q.data_source == data_source]))
    return known


def _probe_each(client: ArmorClient, names: list[QualifiedName]) -> set[str]:
    from dbt_armor.errors import NotFoundError

    found: set[str] = set()
    for qn in names:
        try:
            found.add(client.assets.get(qn.full).qualified_name or qn.full)
        except NotFoundError:
            continue
    return found


def _row(
    uid: str, kind: str, qn: QualifiedName, finding: Finding | None, check: bool
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "unique_id": uid,
        "kind": kind,
        "qualified_name": qn.full,
        "data_source": qn.data_source,
        "database": qn.database,
        "schema": qn.schema,
        "identifier": qn.identifier,
    }
    if check:
        row["resolved"] = finding is None
        row["cause"] = finding.cause if finding else None
        row["candidate"] = finding.candidate if finding else None
        row["hint"] = finding.hint if finding else None
    return row


def _print_table(rows: list[dict[str, Any]], check: bool, missing: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for col in ("unique_id", "kind", "qualified name"):
        table.add_column(col, overflow="fold")
    if check:
        table.add_column("status")
        table.add_column("likely cause", overflow="fold")
    for row in rows:
        cells = [row["unique_id"], row["kind"], row["qualified_name"]]
        if check:
            if row["resolved"]:
                cells += ["[green]ok[/green]", ""]
            else:
                seen = f" (platform has {row['candidate']})" if row["candidate"] else ""
                cells += ["[red]missing[/red]", f"{row['cause']}{seen}: {row['hint']}"]
        table.add_row(*cells)
    console = Console(highlight=False)
    if not console.is_terminal:  # piped or captured: do not wrap names at 80 columns
        console = Console(highlight=False, width=200)
    console.print(table)
    summary = f"{len(rows)} names"
    if check:
        summary += f", {missing} do not resolve" if missing else ", all resolve"
    console.print(summary)
