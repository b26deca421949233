"""dbt as a subprocess of any ``dbt`` executable (dbt-core 1.x or the dbt v2 engine).

Owns building argv/env for the child and reading ls output; uses only flags both engines accept.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

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

STOP_SECONDS = 5.0  # a dbt told to stop gets this long before it is terminated, then killed


def reap(proc: subprocess.Popen[Any], grace: float = STOP_SECONDS) -> None:
    """Make sure ``proc`` has ended: wait ``grace`` seconds, then terminate it, then kill it."""
    for signal_it in (None, proc.terminate, proc.kill):
        if signal_it is not None:
            signal_it()
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


Handler = Callable[[int, FrameType | None], None]


@contextlib.contextmanager
def _handling(
    signum: int, replaces: Callable[[Any], bool], make: Callable[[Any], Handler]
) -> Iterator[None]:
    """For the block, ``make(previous)`` handles ``signum`` when ``replaces(previous)``; else
    (and off the main thread, where handlers cannot be set) the handler stays as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signum)
    if not replaces(previous):
        yield
        return
    signal.signal(signum, make(previous))
    try:
        yield
    finally:
        signal.signal(signum, previous)


def _passing_sigterm(
    proc: subprocess.Popen[Any], received: list[int]
) -> contextlib.AbstractContextManager[None]:
    """A SIGTERM to this process goes to dbt too (recorded in ``received``); a Python handler
    that was there (an orchestrator's) then runs as before. An ignored SIGTERM, or one set
    outside Python (None), stays as it is."""

    def make(previous: Any) -> Handler:
        def forward(signum: int, frame: FrameType | None) -> None:
            received.append(signum)
            with contextlib.suppress(OSError):
                proc.send_signal(signum)
            if callable(previous):
                previous(signum, frame)

        return forward

    return _handling(signal.SIGTERM, lambda prev: prev not in (signal.SIG_IGN, None), make)


def _first_ctrl_c_waits() -> contextlib.AbstractContextManager[None]:
    """The first Ctrl-C (dbt got it too, with the terminal's process group) is absorbed, so the
    wait for dbt's exit status carries on; a second one raises KeyboardInterrupt. Raising on
    the first would race with dbt's exit: a wait interrupted just as it reaped dbt loses the
    status, and Popen then reports 0. Only Python's default handler is replaced."""
    seen: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)
        if len(seen) > 1:
            raise KeyboardInterrupt

    return _handling(
        signal.SIGINT, lambda prev: prev is signal.default_int_handler, lambda _: interrupt
    )


def wait_for_dbt(proc: subprocess.Popen[Any], stop: Callable[[], None]) -> int:
    """dbt's exit code once it has ended, with signals handled as if the user ran dbt itself.

    Ctrl-C reaches dbt with the terminal's process group: the first one waits for dbt to stop
    (it cancels its queries and writes run_results.json), a second one stops it and is raised.
    A SIGTERM to dbt-armor (an orchestrator cancelling the task) is passed on to dbt; once dbt
    has ended, dbt-armor ends by the same signal. Whatever else interrupts the wait (an
    orchestrator's own SIGTERM handler raising) stops dbt first: dbt never outlives the wait.
    """
    received: list[int] = []
    try:
        with _passing_sigterm(proc, received), _first_ctrl_c_waits():
            try:  # KeyboardInterrupt here: a thread or a handler that could not be replaced
                code = proc.wait()
            except KeyboardInterrupt:
                code = proc.wait()
    except BaseException:
        stop()
        raise
    if received and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        os.kill(os.getpid(), signal.SIGTERM)  # ends this process, as it would have without us
    return code


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
            proc = subprocess.Popen(
                [self.executable, command, *argv],
                env=self._env(env_extra),
                preexec_fn=raise_stack_limit,
            )
        except OSError as exc:
            raise DbtError(
                f"cannot start {self.executable}: {exc.strerror}",
                hint="the environment may be too large; check --dbt-executable",
            ) from exc
        return wait_for_dbt(proc, lambda: reap(proc))
