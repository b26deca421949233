"""``dbt-armor sync plan|apply``: turn dbt tests into platform rules as a reviewable plan.

Parses options, loads the manifest and settings, calls ``dbt_armor.sync.service`` and renders.
Exit codes: 0 ok; 1 ``plan --fail-on-changes`` found changes; 2 usage/config/stale or refused
plan, key may not write; 4 platform unreachable, saturated or apply budget spent.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from dbt_armor.cli.options import (
    FILE,
    api_url_option,
    manifest_option,
    output_format_option,
    project_dir_option,
    project_invocation,
    target_option,
)
from dbt_armor.cli.output import emit_json, progress_interval
from dbt_armor.errors import CommandOutcome, UsageError
from dbt_armor.files import write_atomic

_path = click.Path(path_type=Path)


def _common(fn: Any) -> Any:
    options = [
        project_dir_option("dbt project directory (holds dbt_armor.yml)."),
        manifest_option("manifest.json [default: <project-dir>/target/manifest.json]."),
        target_option(),
        click.option(
            "--select",
            "-s",
            multiple=True,
            help="Only these nodes, as dbt selects (name, +/@ operators, tag:, path:…).",
        ),
        click.option("--exclude", multiple=True, help="Leave these nodes out."),
        click.option("--selector", default=None, help="A YAML selector from selectors.yml."),
        click.option(
            "--dialect",
            type=click.Choice(["upper", "backend"]),
            default=None,
            help="Rule-type spelling the server expects [default: sync.dialect, or upper].",
        ),
        api_url_option(),
        click.option(
            "--verbose",
            "-v",
            is_flag=True,
            help="Also show unchanged rules, each rule's key, every unmapped test in full.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


class _Context:
    def __init__(self, opts: dict[str, Any]) -> None:
        from dbt_armor.config import resolve_settings
        from dbt_armor.project import NameResolver, load_manifest
        from dbt_armor.project.select import select_scope
        from dbt_armor.sync.request_bodies import check_dialect

        self.invocation = project_invocation(opts["project_dir"], opts["target"])
        project_dir = self.invocation.project_dir
        overrides = {
            "api_url": opts["api_url"],
            "dialect": opts["dialect"],
            "apply_budget": opts.get("budget"),
        }
        self.settings = resolve_settings(
            {k: v for k, v in overrides.items() if v is not None}, project_dir=project_dir
        )
        self.dialect = check_dialect(self.settings.dialect)
        self.manifest_path = opts["manifest_path"] or self.invocation.target_path / "manifest.json"
        self._load = load_manifest
        self._resolver = NameResolver
        self._select = select_scope
        self.opts = opts

    def manifest_and_plan(self, client: Any) -> Any:
        from dbt_armor.sync.service import make_plan

        manifest = self._load(self.manifest_path)
        newer = newer_project_file(self.manifest_path, self.invocation.project_dir)
        if newer is not None:
            _console(stderr=True).print(
                f"warning: {self.manifest_path} is older than {newer}; run `dbt parse` so sync "
                "sees your latest tests",
                markup=False,
                highlight=False,
                style="yellow",
                soft_wrap=True,
            )
        resolver = self._resolver(
            manifest,
            self.invocation.target.value,
            self.settings.data_sources,
            getattr(self.settings, "naming_case", None) or "auto",
        )
        from dbt_armor.report.summary import naming_line

        scope = self._select(
            manifest, self.opts["select"], self.opts["exclude"], self.opts["selector"]
        )
        now = datetime.now(timezone.utc)
        plan = make_plan(
            client, manifest, resolver.resolve, dialect=self.dialect, now=now, scope=scope
        )
        _console(stderr=True).print(
            naming_line("sync", self.invocation, resolver),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return plan

    def client(self) -> Any:
        from dbt_armor.api import ArmorClient

        self.settings.require_key()
        return ArmorClient.from_settings(self.settings)


_SKIP_DIRS = frozenset({"target", "dbt_packages", "dbt_modules", "logs", "node_modules"})
_PROJECT_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".csv"})
_NOT_PARSED = frozenset({"dbt_armor.yml", "profiles.yml", "package-lock.yml"})
_MAX_FILES = 20_000


def newer_project_file(manifest: Path, project_dir: Path) -> Path | None:
    """A project file (SQL, YAML, seed CSV) edited after ``manifest`` was written, if any.

    Looks at no more than 20,000 files and skips target/, packages, logs and hidden folders.
    """
    try:
        written = manifest.stat().st_mtime
    except OSError:
        return None
    seen = 0
    for root, dirs, files in os.walk(project_dir):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in files:
            seen += 1
            if seen > _MAX_FILES:
                return None
            path = Path(root) / name
            if path.suffix.lower() not in _PROJECT_SUFFIXES or name in _NOT_PARSED:
                continue
            try:
                if path.stat().st_mtime > written + 1.0:
                    return path.relative_to(project_dir)
            except (OSError, ValueError):
                continue
    return None


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False)


@click.group(name="sync")
def command() -> None:
    """Sync dbt tests and source freshness into platform rules (plan, then apply).

    Only rules carrying the dbt-armor marker are ever updated or deleted.
    """


@command.command(name="plan")
@_common
@click.option("--out", type=_path, default=None, help="Also write the plan as JSON here.")
@output_format_option()
@click.option(
    "--fail-on-changes",
    is_flag=True,
    help="Exit 1 when the plan has any change (CI drift check).",
)
def plan_cmd(out: Path | None, fmt: str, fail_on_changes: bool, **opts: Any) -> CommandOutcome:
    """Show what apply would change on the platform."""
    from dbt_armor.sync import plan_json
    from dbt_armor.sync.render import print_plan

    ctx = _Context(opts)
    with ctx.client() as client:
        plan = ctx.manifest_and_plan(client)
    if out is not None:
        try:
            write_atomic(out, plan_json.dumps(plan))
        except OSError as exc:
            raise UsageError(
                f"cannot write the plan to {out}: {exc.strerror or exc}",
                hint="pass --out a file path in a writable directory",
            ) from None
    if fmt == "json":
        click.echo(plan_json.dumps(plan), nl=False)
    else:
        print_plan(plan, _console(), verbose=opts["verbose"])
        if out is not None:
            _console().print(f"Plan written to {out}; apply it with `dbt-armor sync apply {out}`.")
    if fail_on_changes and plan.has_changes:
        return CommandOutcome.DRIFT
    return CommandOutcome.OK


@command.command(name="apply")
@click.argument("plan_file", type=FILE, required=False)
@_common
@click.option("--prune", is_flag=True, help="Also delete managed rules no longer in dbt.")
@click.option(
    "--budget",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop issuing writes after this long and exit 4, reporting what was not done "
    "[default: sync.apply_budget, or 900].",
)
@output_format_option()
def apply_cmd(plan_file: Path | None, prune: bool, fmt: str, **opts: Any) -> CommandOutcome:
    """Apply a saved plan (refused if the platform changed since), or plan and apply now.

    Every change is checked against the live platform first: a change naming a rule that
    dbt-armor does not own, or a create whose rule exists already, refuses the whole plan.
    """
    from dbt_armor.report.progress import Progress
    from dbt_armor.sync import plan_json
    from dbt_armor.sync.apply import DEFAULT_BUDGET
    from dbt_armor.sync.render import print_plan, print_result
    from dbt_armor.sync.result import SyncApplyError
    from dbt_armor.sync.service import apply_plan

    ctx = _Context(opts)
    out = _console(stderr=fmt == "json")  # in JSON mode stdout carries only the document
    started = time.monotonic()
    with ctx.client() as client:
        if plan_file is not None:
            plan = plan_json.load(plan_file)
        else:
            plan = ctx.manifest_and_plan(client)
        print_plan(plan, out, verbose=opts["verbose"])
        try:
            with Progress("applying", _console(stderr=True), interval=progress_interval()) as bar:
                result = apply_plan(
                    client,
                    plan,
                    prune=prune,
                    saved=plan_file is not None,
                    budget=ctx.settings.apply_budget or DEFAULT_BUDGET,
                    on_start=bar.start,
                    on_done=lambda _change: bar.advance(),
                )
        except SyncApplyError as exc:  # say what was and was not done, then fail
            if fmt == "json":
                emit_json(
                    "sync apply",
                    _apply_json(exc.result, time.monotonic() - started, client.stats.requests),
                )
            else:
                print_result(exc.result, out, time.monotonic() - started, client.stats.requests)
            raise
        requests = client.stats.requests
    seconds = time.monotonic() - started
    if fmt == "json":
        emit_json("sync apply", _apply_json(result, seconds, requests))
    else:
        print_result(result, out, seconds, requests)
    return CommandOutcome.OK


def _apply_json(result: Any, seconds: float, requests: int) -> dict[str, Any]:
    """The JSON body of ``sync apply``: the result's own counts plus time and requests."""
    return {**result.as_dict(), "seconds": round(seconds, 3), "requests": requests}
