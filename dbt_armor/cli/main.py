"""The ``dbt-armor`` click group. Subcommands are imported lazily so ``--help`` stays fast.

Each subcommand lives in ``dbt_armor/cli/<module>.py`` and exposes a click command named
``command``. A command returns its typed outcome and this module alone ends the process, with
the code ``errors.exit_code_for`` gives it; an ArmorError becomes one line on stderr and its code.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
from typing import Any

import click

from dbt_armor import __version__
from dbt_armor.dbt.driver import end_process, tune_gc
from dbt_armor.errors import ArmorError, CommandOutcome, exit_code_for, process_exit_code

# command name -> (module, short help). The wrapper commands share one module.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("dbt_armor.cli.wrap", "Gate, then run `dbt run` with any dbt arguments."),
    "build": ("dbt_armor.cli.wrap", "Gate, then run `dbt build` with any dbt arguments."),
    "seed": ("dbt_armor.cli.wrap", "Gate, then run `dbt seed` with any dbt arguments."),
    "snapshot": ("dbt_armor.cli.wrap", "Gate, then run `dbt snapshot` with any dbt arguments."),
    "gate": ("dbt_armor.cli.gate", "Check upstream sources on the platform without running dbt."),
    "freshness": ("dbt_armor.cli.freshness", "Write dbt's sources.json from the platform."),
    "map": ("dbt_armor.cli.map", "Show how dbt nodes map to platform qualified names."),
    "sync": ("dbt_armor.cli.sync", "Sync dbt tests into platform rules (plan / apply)."),
    "lineage": ("dbt_armor.cli.lineage", "Publish the dbt lineage to the platform."),
    "ci": ("dbt_armor.cli.ci", "Check a pull request against production artifacts."),
    "validate": ("dbt_armor.cli.validate", "Check configuration and policies offline (no key)."),
    "doctor": ("dbt_armor.cli.doctor", "Show configuration, connectivity and the dbt engine."),
    "emulator": ("dbt_armor.cli.emulator", "Run the local AnomalyArmor-compatible server."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        factory = getattr(module, "make_command", None)
        if factory is not None:
            cmd: click.Command = factory(cmd_name)
        else:
            cmd = module.command
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dbt-armor")
def cli() -> None:
    """dbt-armor: never build on stale or broken upstream data.

    Exit codes: 0 ok, 1 dbt failure, 2 usage/config error, 3 blocked by the gate,
    4 platform unreachable (fail-closed).
    """


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at emit time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _configure_logging() -> None:
    """Warnings from dbt_armor loggers go to stderr as one line each (ARMOR_LOG_LEVEL=DEBUG for
    request logs). Records never carry the API key: the transport does not log headers."""
    logger = logging.getLogger("dbt_armor")
    if any(getattr(h, "_dbt_armor", False) for h in logger.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("dbt-armor: %(levelname)s: %(message)s"))
    handler._dbt_armor = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    handler.setLevel(logging.WARNING)
    wanted = os.environ.get("ARMOR_LOG_LEVEL")
    if wanted:
        numeric = logging.getLevelName(wanted.upper())
        if isinstance(numeric, int):
            handler.setLevel(numeric)
            logger.setLevel(numeric)


def _exit(code: int, whole_process: bool) -> None:
    """Exit with ``code``. When this is the whole process (the console script), every file is
    written and the output flushed: end it without the interpreter's teardown (about 0.7 s once
    dbt is loaded), and without waiting for platform reads still in flight after the gate's
    deadline (their threads would keep the process alive until the client timeout)."""
    if whole_process:
        end_process(code, ABANDONABLE)
    sys.exit(code)


# When this process started (close enough: this module is imported first); --deadline counts
# from here.
STARTED = time.monotonic()

# Thread name prefixes of platform reads that may be abandoned at the deadline.
ABANDONABLE = ("armor-gate",)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: run the CLI and turn ArmorErrors into exit codes.

    ``argv`` None means this is the whole process (sys.argv): only then may platform reads
    still in flight after the deadline be abandoned by ending the process at once.
    """
    _configure_logging()
    tune_gc()
    # a caller passing argv may be a long-lived process: its deadline starts with this call
    started = STARTED if argv is None else time.monotonic()
    try:
        returned = cli.main(
            args=argv, prog_name="dbt-armor", standalone_mode=False, obj={"started": started}
        )
    except ArmorError as exc:
        click.echo(f"dbt-armor: error: {exc}", err=True)
        _exit(int(exc.exit_code), argv is None)
    except click.exceptions.Abort:
        click.echo("dbt-armor: aborted", err=True)
        sys.exit(int(exit_code_for(CommandOutcome.INTERRUPTED)))
    except click.ClickException as exc:
        exc.show()
        sys.exit(int(exit_code_for(CommandOutcome.USAGE)))
    except KeyboardInterrupt:
        click.echo("dbt-armor: interrupted", err=True)
        sys.exit(int(exit_code_for(CommandOutcome.INTERRUPTED)))
    _exit(process_exit_code(returned), argv is None)
