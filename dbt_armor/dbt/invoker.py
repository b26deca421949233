"""The DbtInvoker contract and ``make_invoker``, which picks in-process dbtRunner or a subprocess.

Owns the choice of engine and the shared parse → select → run flow; never imports dbt eagerly.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import shutil
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dbt_armor.dbt.args import DbtArgs, split_args
from dbt_armor.dbt.env import environ_snapshot
from dbt_armor.dbt.invocation import Invocation, resolve_invocation
from dbt_armor.dbt.selection import Selection
from dbt_armor.errors import DbtError, UsageError

if TYPE_CHECKING:
    from dbt_armor.project.manifest import Manifest

Mode = Literal["auto", "inprocess", "subprocess"]
MODES = ("auto", "inprocess", "subprocess")
DRIVER_VAR = "ARMOR_DBT_DRIVER"  # off: subprocess mode starts one dbt process per step
OFF = ("0", "off", "false", "no")


class DbtInvoker(ABC):
    """Runs dbt for one wrapper invocation: parse once, select, then run."""

    mode: str

    def __init__(
        self,
        project_dir: Path | None = None,
        profiles_dir: Path | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        # Directories a Python caller chose explicitly; None leaves dbt to resolve them
        # (flags in argv, DBT_PROJECT_DIR, DBT_PROFILES_DIR, its own search), never overridden.
        self.project_dir = Path(project_dir) if project_dir is not None else None
        self.profiles_dir = Path(profiles_dir) if profiles_dir is not None else None
        self.secrets = tuple(secrets)
        self.manifest_path: Path | None = None

    def _dirs(self, args: DbtArgs) -> list[str]:
        """The caller's explicit directories, unless the dbt args already name them."""
        out: list[str] = []
        if args.project_dir is None and self.project_dir is not None:
            out += ["--project-dir", str(self.project_dir)]
        if args.profiles_dir is None and self.profiles_dir is not None:
            out += ["--profiles-dir", str(self.profiles_dir)]
        return out

    def invocation(self, args: DbtArgs) -> Invocation:
        """The invocation dbt will see for ``args`` (with the caller's directories)."""
        argv = [*args.argv, *self._dirs(args)]
        return resolve_invocation(args.command, argv, environ_snapshot(), Path.cwd())

    def target_dir(self, args: DbtArgs) -> Path:
        return self.invocation(args).target_path

    def parse(self, argv: Sequence[str], command: str = "run") -> Path:
        """Parse the project (once) and return the path of the manifest.json it wrote.

        A file the parse did not rewrite is refused: it is an older parse (dbt writes no JSON
        with DBT_WRITE_JSON=false or ``write_json: false``), and gating on it could pass a
        run of code the gate never saw."""
        args = split_args(command, argv)
        path = self.target_dir(args) / "manifest.json"
        before = file_stamp(path)
        self._parse(args)
        after = file_stamp(path)
        if after is None or after == before:
            raise DbtError(
                f"dbt parse did not {'write' if after is None else 'rewrite'} {path}",
                hint="check --target-path / DBT_TARGET_PATH, and that dbt writes JSON "
                "(DBT_WRITE_JSON / flags: write_json in dbt_project.yml)",
            )
        self.manifest_path = path
        return path

    def parse_typed(self, argv: Sequence[str], command: str = "run") -> tuple[Manifest, Path]:
        """Parse (once) and return our typed manifest with the path of dbt's manifest.json.

        Here: dbt writes the file and it is read back. An in-process invoker may build it from
        dbt's memory instead and leave the file to the run (see ``write_manifest``)."""
        from dbt_armor.project.manifest import load_manifest

        path = self.parse(argv, command=command)
        return load_manifest(path), path

    def write_manifest(self) -> bool:
        """Write dbt's manifest.json if the parse left it unwritten; True when it wrote it
        (never here: this parse always writes it)."""
        return False

    def select_and_parse(
        self, argv: Sequence[str], command: str = "build"
    ) -> tuple[Path, Selection]:
        """The selection (dbt ls) and the path of a manifest.json parsed for these arguments.

        Here: parse, then select. A subprocess invoker lets its ls write the manifest and
        parses only when it cannot tell that it did."""
        path = self.parse(argv, command=command)
        return path, self.select(argv, command=command)

    def select(self, argv: Sequence[str], command: str = "build") -> Selection:
        """The model/seed/snapshot nodes ``dbt <command> <argv>`` would execute."""
        args = split_args(command, argv)
        if not args.resource_types:
            return Selection(frozenset())
        return self._select(args)

    def run(
        self,
        command: str,
        argv: Sequence[str],
        env_extra: Mapping[str, str],
        *,
        stdout_to_stderr: bool = False,
    ) -> int:
        """Run ``dbt <command> <argv>`` with ``env_extra`` added; returns dbt's exit code.

        ``stdout_to_stderr`` sends dbt's output to stderr (so stdout carries only our JSON).
        """
        args = split_args(command, argv)
        if not stdout_to_stderr:
            return self._run(command, [*argv, *self._dirs(args)], env_extra)
        with stdout_to_stderr_scope():
            return self._run(command, [*argv, *self._dirs(args)], env_extra)

    @abstractmethod
    def _parse(self, args: DbtArgs) -> None: ...

    @abstractmethod
    def _select(self, args: DbtArgs) -> Selection: ...

    @abstractmethod
    def _run(self, command: str, argv: list[str], env_extra: Mapping[str, str]) -> int: ...


def file_stamp(path: Path | None) -> tuple[int, int, int] | None:
    """What changes when a file is rewritten (None when there is no file)."""
    try:
        found = path.stat() if path is not None else None
    except OSError:
        return None
    return None if found is None else (found.st_mtime_ns, found.st_size, found.st_ino)


@contextlib.contextmanager
def stdout_to_stderr_scope() -> Iterator[None]:
    """Point file descriptor 1 and sys.stdout at stderr for the block (dbt in-process or as a
    child process), then restore both."""
    sys.stdout.flush()
    try:
        saved: int | None = os.dup(1)
        os.dup2(2, 1)
    except OSError:
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def dbt_core_available() -> bool:
    """True when dbt-core 1.x can be imported here (checked without importing dbt)."""
    try:
        version = importlib.metadata.version("dbt-core")
        spec = importlib.util.find_spec("dbt.cli.main")
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return False
    return spec is not None and version.split(".", 1)[0] == "1"


def find_executable(executable: str | None) -> str:
    """The dbt executable: the given one, ``dbt`` on PATH, or the one next to this Python."""
    if executable:
        found = shutil.which(executable)
        if found is None:
            raise UsageError(
                f"dbt executable {executable!r} not found",
                hint="pass a path or a name on PATH to --dbt-executable",
            )
        return found
    found = shutil.which("dbt")
    if found is not None:
        return found
    sibling = Path(sys.executable).with_name("dbt")
    if sibling.is_file():
        return str(sibling)
    raise DbtError(
        "no dbt executable found",
        hint="install dbt-core or the dbt engine, or pass --dbt-executable",
    )


def make_invoker(
    project_dir: Path | str | None = None,
    profiles_dir: Path | str | None = None,
    executable: str | None = None,
    mode: str = "auto",
    secrets: Iterable[str] = (),
    driver: bool | None = None,
) -> DbtInvoker:
    """In-process dbtRunner when dbt-core 1.x is importable and no executable is forced,
    else a subprocess of ``executable`` (or ``dbt``). ``secrets`` are extra values never
    passed to dbt (ARMOR_API_KEY is always removed). A dbt-core console script is driven in
    one process (``driver``; None: unless ARMOR_DBT_DRIVER is off)."""
    if mode not in MODES:
        raise UsageError(f"unknown dbt mode {mode!r}", hint="use auto, inprocess or subprocess")
    project = Path(project_dir) if project_dir is not None else None
    profiles = Path(profiles_dir) if profiles_dir is not None else None
    if mode == "inprocess" or (mode == "auto" and executable is None and dbt_core_available()):
        if not dbt_core_available():
            raise DbtError(
                "in-process mode needs dbt-core 1.x in this Python environment",
                hint="pip install 'dbt-armor[core]' or use --dbt-mode subprocess",
            )
        from dbt_armor.dbt.inprocess import InProcessInvoker

        return InProcessInvoker(project, profiles, secrets)
    from dbt_armor.dbt.external import SubprocessInvoker

    found = find_executable(executable)
    python = driver_python(found, driver)
    if python is not None:
        from dbt_armor.dbt.driven import DriverInvoker

        return DriverInvoker(project, profiles, found, python, secrets)
    return SubprocessInvoker(project, profiles, found, secrets)


def driver_python(executable: str, driver: bool | None = None) -> list[str] | None:
    """The command that runs the driver for this dbt executable (its console script's
    Python), or None when dbt runs once per step: the driver is off (``driver`` False; None
    reads ARMOR_DBT_DRIVER), not on POSIX, or ``executable`` is not dbt-core's console
    script."""
    env = environ_snapshot()
    if driver is None:
        driver = env.get(DRIVER_VAR, "on").strip().lower() not in OFF
    if not driver or os.name != "posix":  # the driver's pipes are passed as POSIX descriptors
        return None
    from dbt_armor.dbt.script import console_script_python

    return console_script_python(executable, env)
