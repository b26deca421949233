"""Writes the gate's files under the dbt target path: armor_gate.json and armor_skipped.txt.

Owns the file layout only (writes go through dbt_armor.files); the content is built by
dbt_armor.gate.results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dbt_armor.files import write_atomic

GATE_FILE = "armor_gate.json"
SKIPPED_FILE = "armor_skipped.txt"


def write_gate_json(target_dir: Path, document: Mapping[str, Any]) -> Path:
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    return write_atomic(target_dir / GATE_FILE, text)


def write_skipped(target_dir: Path, selectors: Iterable[str]) -> Path:
    """One selector per line, so ``--select $(cat target/armor_skipped.txt)`` rebuilds them."""
    lines = sorted(set(selectors))
    return write_atomic(target_dir / SKIPPED_FILE, "".join(f"{s}\n" for s in lines))


def write_env_file(path: Path, variables: Mapping[str, str], *, export: bool = True) -> Path:
    """Shell (``export NAME='...'``) or dotenv (``NAME='...'``) lines for a later dbt run."""
    prefix = "export " if export else ""
    lines = []
    for name, value in variables.items():
        quoted = "'" + value.replace("'", "'\"'\"'") + "'"
        lines.append(f"{prefix}{name}={quoted}\n")
    return write_atomic(path, "".join(lines))
