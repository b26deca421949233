"""``dbt-armor freshness [--write-sources]``: dbt's source freshness from the platform's facts,
written as target/sources.json for ``--select source_status:fresher+ --state <dir>``.

Wiring and rendering only (the artifact lives in dbt_armor.freshness); also declares the
wrapper's ``--only-new-data`` options and turns them into one call into that package.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from dbt_armor.cli.options import FILE, api_url_option, format_option, manifest_option
from dbt_armor.errors import CommandOutcome, UsageError

PASS_THROUGH = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
    "help_option_names": ["-h", "--help"],
}


def new_data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The wrapper's ``--only-new-data``, ``--new-data-state`` and ``--sourceless`` options."""
    opts = [
        click.option(
            "--only-new-data",
            is_flag=True,
            help="Build only what is downstream of sources with new data since the last "
            "successful run (dbt's source_status:fresher+, from the platform's facts).",
        ),
        click.option(
            "--new-data-state",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="ARMOR_NEW_DATA_STATE",
            default=None,
            help="Folder holding the previous sources.json [default: one per command, "
            "target and selection under <target-path>/armor_new_data; env "
            "ARMOR_NEW_DATA_STATE].",
        ),
        click.option(
            "--sourceless",
            type=click.Choice(["build", "skip"]),
            envvar="ARMOR_SOURCELESS",
            default="build",
            show_default=True,
            help="With --only-new-data: nodes reading no source, or a source the platform has "
            "no facts for.",
        ),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def narrow_for_wrapper(
    opts: dict[str, Any], settings: Any, invocation: Any, *, console: Any
) -> Any:
    """``NewData`` for the wrapper: the narrowed dbt args, the left-out count, the state.

    Target, project and profiles come from the wrapper's one resolved ``invocation``."""
    from dbt_armor.freshness.new_data import narrow_to_new_data
    from dbt_armor.gate.policy import parse_run_options, split_project_gate

    _, base = split_project_gate(getattr(settings, "gate", None) or {}, "dbt_armor.yml gate")
    flags = {"on_api_error": opts.get("on_api_error"), "deadline": opts.get("deadline")}
    run = parse_run_options(flags, "command line", base=base)  # as the gate reads them
    return narrow_to_new_data(
        settings,
        invocation,
        state=opts.get("new_data_state"),
        rule=opts.get("sourceless") or "build",
        on_api_error=run.on_api_error,
        deadline=run.deadline,
        executable=opts.get("dbt_executable"),
        mode=opts.get("dbt_mode") or "auto",
        console=console,
    )


@click.command(name="freshness", context_settings=PASS_THROUGH)
@click.option(
    "--write-sources",
    is_flag=True,
    help="Write dbt's sources.json (as `dbt source freshness` does), from the platform.",
)
@click.option(
    "--output",
    "-o",
    type=FILE,
    default=None,
    help="Where to write it [default: <target-path>/sources.json].",
)
@manifest_option("Read this manifest.json instead of running `dbt parse`.")
@click.option("--deadline", type=float, default=60.0, show_default=True, help="Seconds allowed.")
@format_option(("text", "json"), default="text")
@click.option("--dbt-executable", default=None, help="dbt binary for subprocess mode.")
@click.option("--dbt-mode", type=click.Choice(["auto", "inprocess", "subprocess"]), default="auto")
@api_url_option()
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def command(ctx: click.Context, /, dbt_args: tuple[str, ...], **opts: Any) -> CommandOutcome:
    """Source freshness from the platform (no warehouse query); dbt selection flags apply."""
    from dbt_armor.api.client import ArmorClient
    from dbt_armor.config import resolve_settings
    from dbt_armor.dbt.args import split_args
    from dbt_armor.freshness.selection import split_selection
    from dbt_armor.freshness.write import SOURCES_FILE, collect, write_sources
    from dbt_armor.project.manifest import load_manifest
    from dbt_armor.project.select import Selector

    argv = [*dbt_args, *ctx.args]
    args = split_args("build", argv)
    project_dir = Path(args.project_dir or ".")
    settings = resolve_settings({"api_url": opts["api_url"]}, project_dir=project_dir)
    settings.require_key()
    user = split_selection(argv)
    if user.selector is not None or user.state is not None:
        raise UsageError(
            "dbt-armor freshness takes --select/--exclude only (no --selector or --state)",
            hint="select sources as with `dbt source freshness --select source:shop`",
        )
    if opts["manifest_path"] is not None:
        manifest_path = Path(opts["manifest_path"])
    else:
        from dbt_armor.dbt import make_invoker

        invoker = make_invoker(
            project_dir,
            args.profiles_dir,
            executable=opts["dbt_executable"],
            mode=opts["dbt_mode"],
        )
        manifest_path = invoker.parse(argv, command="build")
    manifest = load_manifest(manifest_path)
    ids = Selector(manifest).select(user.select, user.exclude, ("source",))
    out = Path(opts["output"] or manifest_path.parent / SOURCES_FILE)
    with ArmorClient.from_settings(settings) as client:
        if opts["write_sources"]:
            doc = write_sources(
                manifest,
                ids,
                out,
                settings=settings,
                client=client,
                target=args.target,
                deadline=opts["deadline"],
            ).sources
        else:
            doc = collect(
                manifest,
                ids,
                settings=settings,
                client=client,
                target=args.target,
                deadline=opts["deadline"],
            )
        requests = client.stats.requests
    if opts["fmt"] == "json":
        payload = {"written_to": str(out) if opts["write_sources"] else None, **doc.document}
        payload["unknown"] = list(doc.unknown)
        payload["platform_requests"] = requests
        payload["warehouse_queries"] = 0
        click.echo(json.dumps(payload, indent=2))
        return CommandOutcome.OK
    console = Console(highlight=False)
    for entry in doc.document["results"]:
        src = manifest.sources[entry["unique_id"]]
        hours = entry["max_loaded_at_time_ago_in_s"] / 3600
        console.print(
            f"{entry['status']:<5}  {src.source_name}.{src.name}  max_loaded_at "
            f"{entry['max_loaded_at']} ({hours:.1f} h ago)",
            markup=False,
        )
    for uid in doc.unknown:
        src = manifest.sources[uid]
        console.print(
            f"none   {src.source_name}.{src.name}  the platform has no last update for it "
            "(omitted, as dbt omits a failed check)",
            markup=False,
        )
    where = f"wrote {out}" if opts["write_sources"] else "nothing written (use --write-sources)"
    console.print(
        f"{where}: {len(doc.written)} source(s), {len(doc.unknown)} without facts; "
        f"{requests} platform request(s), 0 warehouse queries",
        markup=False,
    )
    return CommandOutcome.OK
