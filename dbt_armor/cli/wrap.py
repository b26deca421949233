"""``dbt-armor run|build|seed|snapshot``: gate, report, then run dbt with every other argument.

Owns our wrapper options and the gate -> report -> dbt -> lineage sequence; every argument it
does not own goes to dbt unchanged. The API key is never part of dbt's argv or environment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from dbt_armor.cli.freshness import new_data_options

PASS_THROUGH = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
    "help_option_names": ["-h", "--help"],
}


# The options shared by the wrapper commands and ``dbt-armor gate``, in help order. To add
# one, append a click.option here and read it from ``opts`` in run_gate.
GATE_OPTIONS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
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
        help="Hours a cached fact stays usable with --on-api-error cached (6); older is refused.",
    ),
    click.option(
        "--deadline",
        type=float,
        default=None,
        help="Seconds allowed for the gate, from the start of the process to its decision "
        "(60); platform reads still in flight then are abandoned.",
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


def started(ctx: click.Context) -> float | None:
    """When the process started (set by the console entry point), if known."""
    obj = ctx.find_root().obj
    value = obj.get("started") if isinstance(obj, dict) else None
    return float(value) if isinstance(value, int | float) else None


def gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Apply GATE_OPTIONS to a click command."""
    for opt in reversed(GATE_OPTIONS):
        func = opt(func)
    return func


def add_excludes(args: list[str], selectors: Sequence[str]) -> list[str]:
    """Exclude ``selectors`` too, merging into an existing ``--exclude`` if there is one."""
    if not selectors:
        return list(args)
    out = list(args)
    if "--exclude" in out:
        at = out.index("--exclude") + 1
        return out[:at] + list(selectors) + out[at:]
    return [*out, "--exclude", *selectors]


def _warm_up(
    settings: Any, prefetch: Callable[[Any], Any] | None = None
) -> tuple[threading.Thread, dict[str, Any]]:
    """Import the HTTP client and report renderers and build the client on a thread, so that
    work (and the TLS trust store load, which releases the GIL) overlaps dbt's parse; then
    ``prefetch(client)`` starts the platform reads (gate/prefetch.py, its own thread).

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
            if prefetch is not None:
                holder["prefetch"] = prefetch(holder["client"])
            import dbt_armor.cli.gate_report  # noqa: F401
        except BaseException as exc:  # re-raised on the caller's thread
            holder["error"] = exc

    thread = threading.Thread(target=work, name="dbt-armor-warm-up", daemon=True)
    thread.start()
    return thread, holder


def run_gate(
    opts: dict[str, Any], dbt_args: list[str], command: str | None, began: float | None = None
) -> int:
    """Gate (and, for a wrapper command, run dbt). Returns the process exit code.

    ``began`` (time.monotonic()) is when the process started: --deadline counts from there.
    """
    began = time.monotonic() if began is None else began
    from dbt_armor.config import resolve_settings
    from dbt_armor.dbt.env import environ_snapshot
    from dbt_armor.dbt.invocation import resolve_invocation
    from dbt_armor.gate.entry import policy_flags, run_overrides
    from dbt_armor.gate.pipeline import prepare, write_outputs

    wanted = command or opts.get("gate_command") or "build"
    invocation = resolve_invocation(wanted, dbt_args, environ_snapshot(), Path.cwd())
    json_out = opts["fmt"] == "json"
    console = Console(stderr=json_out, highlight=False)
    settings = resolve_settings({"api_url": opts["api_url"]}, project_dir=invocation.project_dir)
    settings.require_key()  # one wording for a missing or empty key, before dbt starts
    new_data = None  # --only-new-data (dbt_armor.freshness): narrowed args, left-out count
    if opts.get("only_new_data"):
        from dbt_armor.cli.freshness import narrow_for_wrapper

        new_data = narrow_for_wrapper(opts, settings, invocation, console=console)
        dbt_args = new_data.args  # the invocation is resolved again from the narrowed args
        invocation = resolve_invocation(wanted, dbt_args, environ_snapshot(), Path.cwd())
    run_options = {
        "mode": opts["on_fail"],
        "on_api_error": opts["on_api_error"],
        "cache_ttl": opts["cache_ttl"],
        "deadline": opts["deadline"],
    }
    policy = policy_flags(opts["policy"], opts["max_age"])
    overrides = run_overrides(**run_options)
    starter = None
    if opts.get("manifest") is None and not opts["refresh"]:
        from dbt_armor.gate.prefetch import starter as prefetcher

        starter = prefetcher(settings, policy, overrides, invocation.target_path, began)
    warm, holder = _warm_up(settings, starter)
    try:  # the client is built meanwhile on the warm-up thread
        if opts.get("manifest") is not None:
            from dbt_armor.gate.offline import prepare_from_manifest

            prepared = prepare_from_manifest(opts["manifest"], invocation)
        else:
            prepared = prepare(
                invocation,
                executable=opts["dbt_executable"],
                mode=opts["dbt_mode"],
                runs_next=command is not None,
            )
    except BaseException:
        warm.join()
        if "client" in holder:
            holder["client"].close()
        raise
    warm.join()
    try:
        if "error" in holder:
            raise holder["error"]
        from dbt_armor.gate.entry import gate_prepared

        # written once: now if dbt will not run, else after the run (with dbt's exit code)
        with holder["client"] as client:
            result = gate_prepared(
                prepared, settings, client=client, policy=policy, **run_options,
                refresh=opts["refresh"], wait=opts.get("wait_for_fresh"), say=console.print,
                began=began, prefetch=holder.get("prefetch"), write=False,
            )  # fmt: skip
    except Exception:
        if prepared.invoker is not None:
            prepared.invoker.write_manifest()  # dbt will not run to write it
        raise
    target_dir = prepared.target_dir or invocation.target_path
    extra: dict[str, Any] = {"skipped": list(result.skipped)}
    if new_data is not None:
        new_data.annotate(extra)  # armor_gate.json says what --only-new-data left out
    extra.pop("skipped")
    from dbt_armor.cli.gate_report import emit_reports, env_vars

    emit_reports(console, result, opts, json_out=json_out)
    if command is None or prepared.invoker is None or not result.verdict.runs_dbt:
        if prepared.invoker is not None:
            prepared.invoker.write_manifest()  # dbt will not run to write it
        write_outputs(target_dir, result, extra=extra)
        if opts.get("emit_env") is not None:
            from dbt_armor.report.artifact import write_env_file

            write_env_file(opts["emit_env"], env_vars(result.results_json))
        return result.exit_code
    args = list(dbt_args)
    if result.skipped_selectors:
        args = add_excludes(args, result.skipped_selectors)
    env = env_vars(result.results_json)
    started = time.perf_counter()
    code: int | None = None
    try:
        code = int(prepared.invoker.run(command, args, env, stdout_to_stderr=json_out))
        if new_data is not None:
            new_data.finish(code)
    finally:  # the artifact exists even when dbt itself raised
        seconds = round(time.perf_counter() - started, 4)
        write_outputs(target_dir, result, dbt_exit_code=code, dbt_seconds=seconds, extra=extra)
    if opts.get("publish_lineage"):
        from dbt_armor.lineage import publish_best_effort

        target = invocation.target.value
        publish_best_effort(
            settings, prepared.manifest_path, target, console, manifest=prepared.manifest
        )
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
    @new_data_options
    @click.option(
        "--publish-lineage", is_flag=True, help="Publish lineage after dbt (best effort)."
    )
    @click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
    @click.pass_context
    def command(ctx: click.Context, /, dbt_args: tuple[str, ...], **opts: Any) -> int:
        return run_gate(opts, [*dbt_args, *ctx.args], name, started(ctx))

    return command
