"""Which Python runs a ``dbt`` executable, when it is dbt-core's console script.

Pure reading of the script's first lines; a binary (the dbt v2 engine), a shell wrapper or any
other program gives None, and the caller keeps running the executable itself.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path

__all__ = ["console_script_python", "interpreter_of"]

_HEAD_BYTES = 4096  # a console script is a few lines; more means something else
# what pip's and uv's console scripts for dbt-core import (the `dbt` entry point)
_DBT_ENTRY = re.compile(r"^\s*from dbt\.cli\.main import cli\s*$", re.M)
# pip's form for an interpreter path too long for a shebang: /bin/sh re-executes the script
_SH_EXEC = re.compile(r"""^'''exec' "?([^"\s]+)"? "\$0" "\$@"\s*$""", re.M)
_PYTHON_NAME = re.compile(r"^(python|pypy)[\d.]*$")


def interpreter_of(text: str, path: str | None = None) -> list[str] | None:
    """The interpreter command (program and its options) a script's text names, resolving
    ``#!/usr/bin/env NAME`` on ``path``; None when it is not a Python script."""
    first, _, rest = text.partition("\n")
    if not first.startswith("#!"):
        return None
    try:
        words = shlex.split(first[2:].strip())
    except ValueError:
        return None
    if not words:
        return None
    if Path(words[0]).name == "env":
        names = [w for w in words[1:] if not w.startswith("-")]
        if not names:
            return None
        found = shutil.which(names[0], path=path)
        words = [found, *names[1:]] if found else []
    elif Path(words[0]).name == "sh":
        match = _SH_EXEC.search(rest)
        words = [match.group(1)] if match else []
    if not words or not _PYTHON_NAME.match(Path(words[0]).name):
        return None
    if not (os.path.isabs(words[0]) and os.access(words[0], os.X_OK)):
        return None
    return words


def console_script_python(executable: str, env: Mapping[str, str]) -> list[str] | None:
    """The interpreter command of ``executable`` (a symlink is followed) when it is
    dbt-core's console script, else None; ``env`` gives the PATH ``env`` would search."""
    try:
        with open(os.path.realpath(executable), "rb") as fh:
            head = fh.read(_HEAD_BYTES + 1)
    except OSError:
        return None
    if len(head) > _HEAD_BYTES or not head.startswith(b"#!"):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not _DBT_ENTRY.search(text):
        return None
    return interpreter_of(text, env.get("PATH"))
