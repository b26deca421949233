"""dbt as a subprocess of any ``dbt`` executable (dbt-core 1.x or the dbt v2 engine).

Owns building argv/env for the child and reading ls output; uses only flags both engines accept.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from dbt_armor.dbt.args import DbtArgs, split_args
from dbt_armor.dbt.env import child_env, environ_snapshot, raise_stack_limit
from dbt_armor.dbt.invoker import DbtInvoker, file_stamp
from dbt_armor.dbt.selection import (
    LS_OUTPUT_KEYS,
    Selection,
    needs_fallback,
    parse_ls_lines,
    selection_from_rows,
)
from dbt_armor.errors import DbtError


def _tail(text: str, lines: int = 5) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) or "no output"


class SubprocessInvoker(DbtInvoker):
    """Each step is one dbt process; dbt's own partial parsing keeps re-parses cheap.

    ls runs with ``--quiet``: on the dbt CLI ``--log-level none`` hides the listed nodes too.
    """

    mode = "subprocess"

    def __init__(
        self,
        project_dir: Path | None,
        profiles_dir: Path | None,
        executable: str,
        secrets: Iterable[str] = (),
    ) -> None:
        super().__init__(project_dir, profiles_dir, secrets)
        self.executable = executable

    def _env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return child_env(environ_snapshot(), extra or {}, self.secrets)

    def _capture(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [self.executable, *argv],
                env=self._env(),
                capture_output=True,
                text=True,
                check=False,
                preexec_fn=raise_stack_limit,
            )
        except OSError as exc:
            raise DbtError(
                f"cannot start {self.executable}: {exc.strerror}",
                hint="check --dbt-executable",
            ) from exc

    def _parse(self, args: DbtArgs) -> None:
        done = self._capture(["parse", *args.parse_args, *self._dirs(args)])
        if done.returncode != 0:
            raise DbtError(
                f"dbt parse failed (exit {done.returncode}): {_tail(done.stdout + done.stderr)}",
                hint="fix the project so `dbt parse` succeeds",
            )

    def _ls(self, args: DbtArgs, output: list[str]) -> list[str]:
        done = self._capture(["ls", *args.ls_args(), *self._dirs(args), *output, "--quiet"])
        if done.returncode != 0:
            raise DbtError(
                f"dbt ls could not resolve the selection (exit {done.returncode}): "
                f"{_tail(done.stdout + done.stderr)}",
                hint="check the --select/--exclude/--selector/--state arguments",
            )
        return done.stdout.splitlines()

    def _select(self, args: DbtArgs) -> Selection:
        rows = parse_ls_lines(
            self._ls(args, ["--output", "json", "--output-keys", *LS_OUTPUT_KEYS])
        )
        fallback = None
        if needs_fallback(rows):
            lines = self._ls(args, ["--output", "selector"])
            fallback = [s.strip() for s in lines if s.strip() and " " not in s.strip()]
        return selection_from_rows(rows, fallback)

    def select_and_parse(
        self, argv: Sequence[str], command: str = "build"
    ) -> tuple[Path, Selection]:
        """``dbt ls`` first: it parses with the same flags and writes manifest.json, so a
        separate ``dbt parse`` (a whole dbt process) is needed only when the file on disk is
        not the one ls just wrote (an engine whose ls writes no manifest)."""
        args = split_args(command, argv)
        path = self.target_dir(args) / "manifest.json"
        before = file_stamp(path)
        selection = self.select(argv, command=command)
        after = file_stamp(path)
        if args.resource_types and after is not None and after != before:
            self.manifest_path = path
            return path, selection
        return self.parse(argv, command=command), selection

    def _run(self, command: str, argv: list[str], env_extra: Mapping[str, str]) -> int:
        try:
            done = subprocess.run(
                [self.executable, command, *argv],
                env=self._env(env_extra),
                check=False,
                preexec_fn=raise_stack_limit,
            )
        except OSError as exc:
            raise DbtError(
                f"cannot start {self.executable}: {exc.strerror}",
                hint="the environment may be too large; check --dbt-executable",
            ) from exc
        return done.returncode
