"""GitHub Actions workflow commands (``::error``/``::warning``) for blocked and warned sources.

Pure rendering: returns lines; the caller decides whether GITHUB_ACTIONS is set.
"""

from __future__ import annotations

from dbt_armor.gate.decide import Decision
from dbt_armor.gate.facts import Level


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_annotations(decision: Decision) -> list[str]:
    """One line per reason at error or warn level, pointing at the source's YAML file."""
    lines: list[str] = []
    for d in decision.sources:
        for r in d.reasons:
            kind = "error" if r.level is Level.ERROR else "warning"
            props = []
            if d.info.original_file_path:
                props.append(f"file={_escape_prop(d.info.original_file_path)}")
                props.append("line=1")
            props.append(f"title={_escape_prop('dbt-armor gate: ' + r.key)}")
            lines.append(f"::{kind} {','.join(props)}::{_escape_data(r.message + '. ' + r.hint)}")
    return lines
