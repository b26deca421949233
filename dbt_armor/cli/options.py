"""Click option declarations shared by the map, lineage, ci, sync and doctor commands.

Declarations (name, type, default, help), plus project_invocation, which turns the
``--project-dir`` / ``--target`` values into the dbt invocation the way dbt resolves them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


# --- the output contract shared by every command -------------------------------------------
# --format table|json (JSON on stdout only), --junit-xml FILE, --markdown FILE, --json-file FILE.
# Old spellings stay as hidden aliases that warn on stderr.

OUTPUT_FORMATS = ("table", "json")
_ALIASES = "dbt_armor.deprecated_aliases"


class _FormatChoice(click.Choice):  # type: ignore[type-arg]
    """``table|json``; the older ``text`` is still accepted and means ``table``."""

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, str) and value.lower() == "text":
            value = "table"
        return super().convert(value, param, ctx)


def output_format_option(
    help: str = "table for people, json (stdout only) for scripts.",
) -> Callable[[FC], FC]:
    """``--format table|json`` (``fmt``)."""
    return click.option(
        "--format",
        "fmt",
        type=_FormatChoice(list(OUTPUT_FORMATS)),
        default="table",
        show_default=True,
        help=help,
    )


def junit_xml_option(help: str = "Write a JUnit XML report here.") -> Callable[[FC], FC]:
    """``--junit-xml FILE`` (``junit_path``)."""
    return click.option("--junit-xml", "junit_path", type=FILE, default=None, help=help)


def markdown_option(help: str = "Write a Markdown report here.") -> Callable[[FC], FC]:
    """``--markdown FILE`` (``markdown_path``)."""
    return click.option("--markdown", "markdown_path", type=FILE, default=None, help=help)


def json_file_option(help: str = "Also write the JSON report to this file.") -> Callable[[FC], FC]:
    """``--json-file FILE`` (``json_path``)."""
    return click.option("--json-file", "json_path", type=FILE, default=None, help=help)


def deprecated_alias(
    old: str,
    new: str,
    dest: str,
    *,
    flag_value: object = None,
    type: Any = FILE,
) -> Callable[[FC], FC]:
    """A hidden ``old`` spelling of ``new``: warns on stderr and fills ``dest`` unless ``new`` was
    given. With ``flag_value`` the alias is a flag that sets ``dest`` to that value."""

    def record(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is None or value is False:
            return value
        click.echo(f"dbt-armor: warning: {old} is deprecated; use {new}", err=True)
        ctx.meta.setdefault(_ALIASES, {})[dest] = flag_value if flag_value is not None else value
        return value

    if flag_value is not None:
        option = click.option(old, is_flag=True, hidden=True, expose_value=False, callback=record)
    else:
        option = click.option(
            old, type=type, default=None, hidden=True, expose_value=False, callback=record
        )

    def decorate(f: FC) -> FC:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = click.get_current_context()
            for name, value in ctx.meta.get(_ALIASES, {}).items():
                if name in kwargs and ctx.get_parameter_source(name) in (
                    ParameterSource.DEFAULT,
                    None,
                ):
                    kwargs[name] = value
            return f(*args, **kwargs)

        return option(wrapper)  # type: ignore[return-value]

    return decorate
