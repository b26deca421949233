"""Click option declarations shared by the map, lineage, ci, sync and doctor commands.

Declarations (name, type, default, help), plus project_invocation, which turns the
``--project-dir`` / ``--target`` values into the dbt invocation the way dbt resolves them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource
from click.decorators import FC

if TYPE_CHECKING:
    from dbt_armor.dbt.invocation import Invocation

DIRECTORY = click.Path(file_okay=False, path_type=Path)
FILE = click.Path(dir_okay=False, path_type=Path)

PROJECT_DIR_HELP = "dbt project directory (holds dbt_project.yml and dbt_armor.yml)."
TARGET_HELP = "dbt target name (picks the data source)."
API_URL_HELP = "Platform API URL (overrides config)."


def project_dir_option(
    help: str | None = PROJECT_DIR_HELP,
    default: Path | None = Path("."),
    show_default: bool | None = True,
) -> Callable[[FC], FC]:
    """``--project-dir`` (a directory; ``project_dir``)."""
    return click.option(
        "--project-dir", type=DIRECTORY, default=default, show_default=show_default, help=help
    )


def manifest_option(help: str) -> Callable[[FC], FC]:
    """``--manifest`` (a file, no default; ``manifest_path``)."""
    return click.option("--manifest", "manifest_path", type=FILE, default=None, help=help)


def target_option() -> Callable[[FC], FC]:
    """``--target`` / ``-t``: the dbt target, which picks the platform data source."""
    return click.option("--target", "-t", default=None, help=TARGET_HELP)


def project_invocation(
    project_dir: Path | None, target: str | None, target_path: Path | None = None
) -> Invocation:
    """The dbt invocation for a project command, resolved as dbt resolves it: a
    ``--project-dir`` left at its default does not override DBT_PROJECT_DIR."""
    from dbt_armor.dbt.env import environ_snapshot
    from dbt_armor.dbt.invocation import for_project_command

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.get_parameter_source("project_dir") in (
        ParameterSource.DEFAULT,
        ParameterSource.DEFAULT_MAP,
    ):
        project_dir = None
    return for_project_command(
        project_dir, target, environ_snapshot(), Path.cwd(), target_path=target_path
    )


def api_url_option(help: str = API_URL_HELP) -> Callable[[FC], FC]:
    """``--api-url``: overrides the configured platform URL."""
    return click.option("--api-url", default=None, help=help)


def format_option(
    choices: tuple[str, ...],
    default: str,
    show_default: bool | None = True,
    help: str | None = None,
) -> Callable[[FC], FC]:
    """``--format`` (one of ``choices``; ``fmt``)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=show_default,
        help=help,
    )
