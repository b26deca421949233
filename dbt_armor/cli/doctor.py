"""``dbt-armor doctor``: resolved configuration with provenance, platform reachability, key
scope and rate limit, and the dbt engine that will run. Read-only: never makes a write call."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from dbt_armor.cli.options import (
    api_url_option,
    output_format_option,
    project_dir_option,
    project_invocation,
)
from dbt_armor.cli.output import emit_json
from dbt_armor.dbt.invoker import dbt_core_available, driver_python, find_executable
from dbt_armor.dbt.version import executable_version
from dbt_armor.errors import (
    ApiError,
    ArmorError,
    AuthenticationError,
    CommandOutcome,
    ConfigError,
    DbtError,
    ForbiddenError,
    TransportError,
    UsageError,
    exit_code_for,
)


def dbt_engine() -> dict[str, str]:
    """Which dbt will run, without importing dbt (that takes seconds)."""
    if not dbt_core_available():
        return subprocess_engine()
    adapters = []
    for dist in ("dbt-duckdb", "dbt-postgres", "dbt-snowflake", "dbt-bigquery"):
        try:
            adapters.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    detail = f"dbt-core {metadata.version('dbt-core')} (in-process)"
    return {"engine": detail + (f"; {', '.join(adapters)}" if adapters else ""), "ok": "yes"}


def subprocess_engine(executable: str | None = None) -> dict[str, str]:
    """The dbt executable a subprocess run would use, with the version it reports."""
    try:
        exe = find_executable(executable)
    except (DbtError, UsageError):
        return {
            "engine": "not found: pip install dbt-core dbt-<adapter>, or put dbt on PATH",
            "ok": "no",
        }
    found = executable_version(exe)
    if found is None:
        return {"engine": f"{exe}: version unknown (`{exe} --version` failed)", "ok": "no"}
    how = "one process through the driver" if driver_python(exe) else "one process per step"
    return {"engine": f"{exe}: {found.describe()} (subprocess, {how})", "ok": "yes"}


def check_platform(settings: Any) -> tuple[dict[str, Any], CommandOutcome]:
    """Probe the platform with read calls only; returns (facts, outcome)."""
    from dbt_armor.api import ArmorClient

    facts: dict[str, Any] = {"reachable": "no", "scope": "unknown", "rate_limit": "unknown"}
    if settings.api_key is None:
        facts["problem"] = str(_no_key(settings))
        return facts, CommandOutcome.USAGE
    budget = min(settings.timeout, 15.0)
    with ArmorClient.from_settings(settings, max_retries=1, retry_budget=budget) as client:
        try:
            summary = client.freshness.summary()
        except (AuthenticationError, ForbiddenError) as exc:
            facts.update(reachable="yes", problem=str(exc))
            return facts, CommandOutcome.USAGE
        except TransportError as exc:
            facts["problem"] = str(exc)
            return facts, CommandOutcome.UNREACHABLE
        except ApiError as exc:
            facts.update(reachable="error", problem=str(exc))
            return facts, CommandOutcome.UNREACHABLE
        facts["reachable"] = "yes"
        facts["assets"] = summary.total_assets
        try:
            usage = client.request("GET", "/api-keys/usage")
        except ApiError:
            usage = None
        data = usage.get("data", usage) if isinstance(usage, dict) else None
        if isinstance(data, dict):
            facts["scope"] = str(data.get("scope") or "unknown")
            if data.get("rate_limit_per_min"):
                burst = data.get("burst_limit")
                facts["rate_limit"] = f"{data['rate_limit_per_min']}/min" + (
                    f", burst {burst}/s" if burst else ""
                )
        limit = client.stats.rate_limit_limit
        if limit is not None and facts["rate_limit"] == "unknown":
            facts["rate_limit"] = f"{limit}/min (X-RateLimit-Limit)"
        facts["requests"] = client.stats.requests
    return facts, CommandOutcome.OK


def _no_key(settings: Any) -> ConfigError:
    try:
        settings.require_key()
    except ConfigError as exc:
        return exc
    return ConfigError("no API key", hint="export ARMOR_API_KEY=aa_live_…")


def config_rows(settings: Any) -> list[tuple[str, str, str]]:
    p = settings.provenance
    key = settings.api_key.masked if settings.api_key is not None else "(none)"
    rate = "off"
    if settings.rate_limit_per_min:
        rate = f"{settings.rate_limit_per_min}/min, burst {settings.burst}"
    return [
        ("api_url", settings.api_url, p.get("api_url", "default")),
        ("api_key", key, p.get("api_key", "default")),
        ("timeout", f"{settings.timeout:g}s", p.get("timeout", "default")),
        ("client rate limit", rate, p.get("rate_limit_per_min", "default")),
        ("project file", str(settings.project_file or "(none)"), "project dir"),
    ]


def _render_text(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="dbt-armor doctor", show_lines=False)
    table.add_column("check")
    table.add_column("value")
    table.add_column("source / detail")
    for name, value, source in report.get("config", []):
        table.add_row(name, value, source)
    plat = report.get("platform", {})
    if plat:
        table.add_row(
            "platform reachable", str(plat.get("reachable")), f"{plat.get('assets', '-')} assets"
        )
        table.add_row("key scope", str(plat.get("scope")), "GET /api-keys/usage")
        table.add_row("platform rate limit", str(plat.get("rate_limit")), "")
    table.add_row("dbt engine", report["dbt"]["engine"], "")
    console.print(table)
    for warning in report.get("warnings", []):
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    for problem in report.get("problems", []):
        console.print(f"[red]problem:[/] {problem}", highlight=False)
    if not report.get("problems"):
        console.print("[green]all checks passed[/]")


@click.command("doctor")
@project_dir_option(
    "dbt project directory (where dbt_armor.yml lives). Default: current directory.",
    default=None,
    show_default=None,
)
@api_url_option("Override the API URL (else ARMOR_API_URL / files).")
@output_format_option()
def command(project_dir: Path | None, api_url: str | None, fmt: str) -> CommandOutcome:
    """Show configuration, connectivity, key scope, rate limit and the dbt engine."""
    from dbt_armor.config import resolve_settings

    project = project_dir if project_dir is not None else Path.cwd()
    report: dict[str, Any] = {"problems": [], "warnings": []}
    outcome = CommandOutcome.OK
    try:
        settings = resolve_settings({"api_url": api_url}, os.environ, project, None)
    except ArmorError as exc:
        settings = None
        report["problems"].append(str(exc))
        outcome = CommandOutcome.USAGE
    if settings is not None:
        invocation = project_invocation(project_dir, None)
        target = invocation.target
        report["config"] = [
            *config_rows(settings),
            ("dbt target", target.value or "(unknown)", target.note or target.origin),
        ]
        report["warnings"] = list(settings.warnings)
        facts, outcome = check_platform(settings)
        if "problem" in facts:
            report["problems"].append(facts.pop("problem"))
        report["platform"] = facts
    report["dbt"] = dbt_engine()
    report["exit_code"] = int(exit_code_for(outcome))
    if fmt == "json":
        out = dict(report)
        out["config"] = [
            dict(zip(("name", "value", "source"), row, strict=True))
            for row in report.get("config", [])
        ]
        emit_json("doctor", out)
    else:
        _render_text(report)
    return outcome
