"""Writes the gate's files under the dbt target path: armor_gate.json and armor_skipped.txt.

Owns file layout and atomic writes only; the content is built by dbt_armor.gate.results.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

GATE_FILE = "armor_gate.json"
SKIPPED_FILE = "armor_skipped.txt"


def write_text(path: Path, text: str) -> Path:
    """Write a file atomically (temp file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_gate_json(target_dir: Path, document: Mapping[str, Any]) -> Path:
    return write_text(target_dir / GATE_FILE, json.dumps(document, indent=2, sort_keys=True) + "\n")


def write_skipped(target_dir: Path, selectors: Iterable[str]) -> Path:
    """One selector per line, so ``--select $(cat target/armor_skipped.txt)`` rebuilds them."""
    lines = sorted(set(selectors))
    return write_text(target_dir / SKIPPED_FILE, "".join(f"{s}\n" for s in lines))


def write_env_file(path: Path, variables: Mapping[str, str], *, export: bool = True) -> Path:
    """Shell (``export NAME='...'``) or dotenv (``NAME='...'``) lines for a later dbt run."""
    prefix = "export " if export else ""
    lines = []
    for name, value in variables.items():
        quoted = "'" + value.replace("'", "'\"'\"'") + "'"
        lines.append(f"{prefix}{name}={quoted}\n")
    return write_text(path, "".join(lines))
