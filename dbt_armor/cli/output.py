"""How a command hands its result to the user: the JSON document on stdout (nothing else goes
to stdout in JSON mode) and report files. Renders nothing itself; commands pass finished data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

# Version of the JSON envelope below; bump it when a field is removed or changes meaning.
SCHEMA_VERSION = 1


def envelope(command: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{"schema_version", "command", ...body}``; a body's own ``schema_version`` wins (the
    sync plan and the gate artifact version their shapes themselves)."""
    return {"schema_version": SCHEMA_VERSION, "command": command, **body}


def emit_json(command: str, body: dict[str, Any]) -> None:
    """Print one JSON document on stdout (and only that)."""
    click.echo(json.dumps(envelope(command, body), indent=2, sort_keys=True, default=str))


def say(text: str, fmt: str) -> None:
    """A human line: stdout in table mode, stderr in JSON mode (stdout is the document)."""
    click.echo(text, err=fmt == "json")


def write_report(path: Path, text: str) -> None:
    """Write a report file, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def progress_interval(env: Mapping[str, str] | None = None) -> float:
    """Seconds between two plain progress lines: ``ARMOR_PROGRESS_INTERVAL`` (default 5)."""
    from dbt_armor.report.progress import DEFAULT_INTERVAL

    raw = (os.environ if env is None else env).get("ARMOR_PROGRESS_INTERVAL", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value >= 0 else DEFAULT_INTERVAL
