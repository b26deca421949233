"""``dbt-armor validate``: check dbt_armor.yml, every meta.armor policy, naming and the sync
mapping offline (no API key, no network). Wiring and rendering only: the checks live in
``dbt_armor.validation``. Exit 0 valid, 1 problems found, 2 no readable manifest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dbt_armor.cli.options import (
    manifest_option,
    output_format_option,
    project_dir_option,
    target_option,
)
from dbt_armor.cli.output import emit_json, say
from dbt_armor.errors import ArmorError, CommandOutcome, exit_code_for

if TYPE_CHECKING:
    from dbt_armor.validation import Finding, SyncSummary


@click.command(name="validate")
@project_dir_option()
@manifest_option("manifest.json to check [default: <project-dir>/target/manifest.json].")
@target_option()
@output_format_option()
@click.option("-v", "--verbose", is_flag=True, help="Also list every test that would be synced.")
def command(
    project_dir: Path, manifest_path: Path | None, target: str | None, fmt: str, verbose: bool
) -> CommandOutcome:
    """Check the project's dbt-armor configuration offline: no API key, no network."""
    from dbt_armor import validation as v
    from dbt_armor.config import Settings, resolve_settings
    from dbt_armor.project import NameResolver, load_manifest

    findings: list[v.Finding] = []
    env = {k: val for k, val in os.environ.items() if k != "ARMOR_API_KEY"}
    try:
        settings = resolve_settings({}, env, project_dir)
    except ArmorError as exc:
        findings.append(v.from_error(exc, "config", str(project_dir / "dbt_armor.yml")))
        settings = Settings()  # keep checking the manifest with the defaults
    findings += v.check_settings(settings)
    path = manifest_path or project_dir / "target" / "manifest.json"
    sync = v.SyncSummary()
    manifest_ok = True
    try:
        manifest = load_manifest(path)
        resolver = NameResolver(manifest, target, settings.data_sources, settings.naming_case)
    except ArmorError as exc:
        manifest_ok = False
        findings.append(v.from_error(exc, "manifest", ""))
    else:
        findings += v.check_meta(manifest) + v.check_names(resolver)
        sync, sync_warnings = v.check_sync(manifest, resolver)
        findings += sync_warnings
    errors = sum(f.level == "error" for f in findings)
    outcome = CommandOutcome.FINDINGS if errors else CommandOutcome.OK
    if not manifest_ok:
        outcome = CommandOutcome.USAGE
    if fmt == "json":
        emit_json(
            "validate",
            {
                "ok": outcome is CommandOutcome.OK,
                "exit_code": int(exit_code_for(outcome)),
                "manifest": str(path),
                "errors": errors,
                "warnings": len(findings) - errors,
                "findings": [f.to_json() for f in findings],
                "sync": sync.to_json(),
            },
        )
    else:
        _print(findings, sync, verbose, fmt)
    return outcome


def _print(findings: list[Finding], sync: SyncSummary, verbose: bool, fmt: str) -> None:
    """One line per finding (errors first), then the sync mapping and a verdict."""
    for f in sorted(findings, key=lambda f: (f.level != "error", f.area, f.where)):
        hint = f" ({f.hint})" if f.hint else ""
        where = f"{f.where}: " if f.where else ""
        say(f"{f.level}: {f.area}: {where}{f.message}{hint}", fmt)
    rules = ", ".join(f"{n} {kind}" for kind, n in sorted(sync.rules.items())) or "no"
    say(f"sync: {rules} rule(s) would be managed; {len(sync.unmapped)} not synced", fmt)
    if verbose:
        for kind, key in sync.synced:
            say(f"  synced {kind}: {key}", fmt)
    for item in sync.unmapped:
        say(f"  not synced: {item.name}: {item.reason}", fmt)
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    verdict = "invalid" if errors else "valid"
    say(f"dbt-armor validate: {verdict}: {errors} error(s), {warnings} warning(s)", fmt)
