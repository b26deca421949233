"""``dbt-armor run|build|seed|snapshot``: gate, report, then run dbt with every other argument.

Owns our wrapper options and the gate -> report -> dbt -> lineage sequence; every argument it
does not own goes to dbt unchanged. The API key is never part of dbt's argv or environment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import click
from rich.console import Console

PASS_THROUGH = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
    "help_option_names": ["-h", "--help"],
}


def gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by the wrapper commands and ``dbt-armor gate``."""
    opts = [
        click.option(
            "--on-fail",
            "on_fail",
            type=click.Choice(["block", "skip"]),
            default=None,
            help="block: run nothing (default); skip: skip only affected nodes.",
        ),
        click.option(
            "--on-api-error",
            type=click.Choice(["fail", "open", "cached"]),
            default=None,
            help="What to do when the platform cannot be reached.",
        ),
        click.option(
            "--cache-ttl",
            type=float,
            default=None,
            help="Hours a cached fact stays usable with --on-api-error cached (6).",
        ),
        click.option(
            "--deadline",
            type=float,
            default=None,
            help="Seconds allowed for all platform reads (60).",
        ),
        click.option("--refresh", is_flag=True, help="Ask the platform to re-check first."),
        click.option("--max-age", type=float, default=None, help="Stale after this many hours."),
        click.option(
            "--policy",
            "policy",
            multiple=True,
            metavar="KEY=VALUE",
            help="Override a policy key for this run, e.g. stale=warn (repeatable).",
        ),
        click.option("--junit-xml", type=click.Path(path_type=Path), default=None),
        click.option("--markdown", type=click.Path(path_type=Path), default=None),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
        click.option("--dbt-executable", default=None, help="dbt binary for subprocess mode."),
        click.option(
            "--dbt-mode", type=click.Choice(["auto", "inprocess", "subprocess"]), default="auto"
        ),
        click.option("--api-url", default=None, help="Platform API URL (else ARMOR_API_URL)."),
        click.option(
            "--wait-for-fresh",
            default=None,
            metavar="DURATION",
            help="Re-check (with backoff) while only stale or unknown sources (or an "
            "unreachable platform) block, up to DURATION (90s, 15m, 2h); then run or block.",
        ),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def _flag_value(args: Sequence[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def add_excludes(args: list[str], selectors: Sequence[str]) -> list[str]:
    """Exclude ``selectors`` too, merging into an existing ``--exclude`` if there is one."""
    if not selectors:
        return list(args)
    out = list(args)
    if "--exclude" in out:
        at = out.index("--exclude") + 1
        return out[:at] + list(selectors) + out[at:]
    return [*out, "--exclude", *selectors]


def _warm_up(settings: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Import the HTTP client and report renderers and build the client on a thread, so that
    work (and the TLS trust store load, which releases the GIL) overlaps dbt's parse.

    The third-party modules both threads need are imported here first, on the caller's
    thread, so the two never initialise the same module concurrently.
    """
    import httpx  # noqa: F401
    import pydantic  # noqa: F401

    holder: dict[str, Any] = {}

    def work() -> None:
        try:
            from dbt_armor.api.client import ArmorClient

            holder["client"] = ArmorClient.from_settings(settings)
            import dbt_armor.cli.gate_report  # noqa: F401
        except BaseException as exc:  # re-raised on the caller's thread
            holder["error"] = exc

    thread = threading.Thread(target=work, name="dbt-armor-warm-up", daemon=True)
    thread.start()
    return thread, holder


def run_gate(opts: dict[str, Any], dbt_args: list[str], command: str | None) -> int:
    """Gate (and, for a wrapper command, run dbt). Returns the process exit code."""
    from dbt_armor.config import resolve_settings
    from dbt_armor.gate.api import check, prepare, write_outputs

    project_dir = Path(_flag_value(dbt_args, "--project-dir") or ".")
    profiles = _flag_value(dbt_args, "--profiles-dir")
    target = _flag_value(dbt_args, "--target")
    json_out = opts["fmt"] == "json"
    console = Console(stderr=json_out, highlight=False)
    settings = resolve_settings({"api_url": opts["api_url"]}, project_dir=project_dir)
    settings.require_key()  # one wording for a missing or empty key, before dbt starts
    wanted = command or opts.get("gate_command") or "build"
    warm, holder = _warm_up(settings)
    try:  # the client is built meanwhile on the warm-up thread
        if opts.get("manifest") is not None:
            from dbt_armor.gate.offline import prepare_from_manifest

            prepared = prepare_from_manifest(opts["manifest"], dbt_args, command=wanted)
        else:
            prepared = prepare(
                project_dir,
                dbt_args,
                profiles_dir=Path(profiles) if profiles else None,
                executable=opts["dbt_executable"],
                mode=opts["dbt_mode"],
                command=wanted,
            )
    except BaseException:
        warm.join()
        if "client" in holder:
            holder["client"].close()
        raise
    warm.join()
    if "error" in holder:
        raise holder["error"]
    policy = list(opts["policy"])
    if opts["max_age"] is not None:
        policy.append(f"max_age={opts['max_age']}")
    overrides = {
        "on_api_error": opts["on_api_error"],
        "mode": opts["on_fail"],
        "cache_ttl": opts["cache_ttl"],
        "deadline": opts["deadline"],
    }
    from dbt_armor.gate.wait import checked

    with holder["client"] as client:
        result = checked(
            partial(
                check,
                prepared,
                settings,
                client=client,
                target=target,
                flag_policy=policy,
                write=False,
            ),  # written once: now if dbt will not run, else after the run
            opts.get("wait_for_fresh"),
            refresh=opts["refresh"],
            overrides=overrides,
            say=console.print,
        )
    from dbt_armor.cli.gate_report import emit_reports, env_vars

    emit_reports(console, result, opts, json_out=json_out)
    if command is None or result.exit_code != 0:
        write_outputs(prepared.target_dir, result)
        if opts.get("emit_env") is not None:
            from dbt_armor.report.artifact import write_env_file

            write_env_file(opts["emit_env"], env_vars(result.results_json))
        return result.exit_code
    args = list(dbt_args)
    if result.options.mode == "skip" and result.skipped_selectors:
        args = add_excludes(args, result.skipped_selectors)
    env = env_vars(result.results_json)
    started = time.perf_counter()
    try:
        code = int(prepared.invoker.run(command, args, env))
        result.artifact["exit_code"] = code
    finally:  # the artifact exists even when dbt itself raised
        result.artifact["timings"]["dbt"] = round(time.perf_counter() - started, 4)
        write_outputs(prepared.target_dir, result)
    if opts.get("publish_lineage"):
        from dbt_armor.lineage import publish_best_effort

        publish_best_effort(settings, prepared.manifest_path, target, console)
    return code


def make_command(name: str) -> click.Command:
    """The click command for one wrapped dbt command (run, build, seed, snapshot)."""

    @click.command(
        name=name,
        context_settings=PASS_THROUGH,
        help=f"Gate the selection's upstream sources, then `dbt {name}` with the "
        "remaining arguments (exit 3 when blocked, 4 when the platform is down).",
    )
    @gate_options
    @click.option(
        "--publish-lineage", is_flag=True, help="Publish lineage after dbt (best effort)."
    )
    @click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
    @click.pass_context
    def command(ctx: click.Context, /, dbt_args: tuple[str, ...], **opts: Any) -> int:
        return run_gate(opts, [*dbt_args, *ctx.args], name)

    return command
