"""Click option declarations shared by the map, lineage, ci, sync and doctor commands.

Declarations only (name, type, default, help); the commands own what the values mean.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from click.decorators import FC

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
    """``--target``: the dbt target, which picks the platform data source."""
    return click.option("--target", default=None, help=TARGET_HELP)


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
