"""Which Python runs a dbt executable: dbt-core's console script only, symlinks followed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dbt_armor.dbt.script import console_script_python, interpreter_of

ENTRY = "import sys\nfrom dbt.cli.main import cli\nsys.exit(cli())\n"


def _script(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


def test_an_absolute_shebang_names_the_interpreter() -> None:
    assert interpreter_of(f"#!{sys.executable}\n{ENTRY}") == [sys.executable]
    assert interpreter_of(f"#!{sys.executable} -I\n") == [sys.executable, "-I"]


def test_env_shebang_is_resolved_on_the_given_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    found = interpreter_of("#!/usr/bin/env python3\n", str(bin_dir))
    assert found == [str(bin_dir / "python3")]  # the venv's link, not what it points at
    assert interpreter_of("#!/usr/bin/env -S python3\n", str(bin_dir)) == found
    assert interpreter_of("#!/usr/bin/env python3\n", str(tmp_path / "empty")) is None


def test_pips_long_path_form_is_read() -> None:
    text = f"#!/bin/sh\n'''exec' \"{sys.executable}\" \"$0\" \"$@\"\n' '''\n{ENTRY}"
    assert interpreter_of(text) == [sys.executable]


def test_other_programs_are_not_python() -> None:
    assert interpreter_of('#!/bin/bash\nexec dbt "$@"\n') is None
    assert interpreter_of("#!/usr/bin/env node\n", os.defpath) is None
    assert interpreter_of("\x7fELF\x02\x01") is None
    assert interpreter_of("#!/no/such/python3\n") is None  # not there: not runnable


def test_only_dbt_cores_console_script_is_driven(tmp_path: Path) -> None:
    env = {"PATH": os.defpath}
    real = _script(tmp_path / "real-dbt", f"#!{sys.executable}\n{ENTRY}")
    link = tmp_path / "dbt"
    link.symlink_to(real)
    assert console_script_python(str(link), env) == [sys.executable]
    # a Python wrapper doing more than dbt's entry point is run as it is
    own = _script(tmp_path / "own", f"#!{sys.executable}\nimport subprocess\nprint('hi')\n")
    assert console_script_python(own, env) is None
    shell = _script(tmp_path / "sh-dbt", f'#!/bin/sh\nexec {real} "$@"\n')
    assert console_script_python(shell, env) is None
    binary = tmp_path / "fusion"
    binary.write_bytes(b"\x7fELF" + b"\0" * 8000)
    assert console_script_python(str(binary), env) is None
    assert console_script_python(str(tmp_path / "missing"), env) is None
