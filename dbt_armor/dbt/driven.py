"""Subprocess mode in one dbt process: dbt's own Python runs ``driver.py``, which parses, lists
and runs dbt only when this side sends the verdict.

Owns the child's lifecycle (start, requests over private pipes, stop, reap); falls back to one
dbt process per step when the driver cannot import dbt-core 1.x.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from dbt_armor.dbt.args import DbtArgs
from dbt_armor.dbt.external import SubprocessInvoker, _tail, reap, wait_for_dbt
from dbt_armor.dbt.invoker import DbtInvoker
from dbt_armor.dbt.selection import Selection
from dbt_armor.errors import DbtError

log = logging.getLogger(__name__)

DRIVER = Path(__file__).with_name("driver.py")


def _shutdown(proc: subprocess.Popen[bytes], pipes: tuple[IO[str], IO[str]]) -> None:
    """Tell the driver to stop (end of input), then reap it, terminating it if it lingers."""
    for pipe in pipes:
        with contextlib.suppress(OSError):
            pipe.close()
    reap(proc)


class _Child:
    """The driver process and its two pipes; reaped when closed, collected or at exit."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        child_in, to_child = os.pipe()  # (read end, write end)
        from_child, child_out = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [*command, str(DRIVER), str(child_in), str(child_out)],
                env=env,
                pass_fds=(child_in, child_out),
            )
        except OSError:
            os.close(to_child)
            os.close(from_child)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        self.send_to = os.fdopen(to_child, "w", encoding="utf-8")
        self.read_from = os.fdopen(from_child, "r", encoding="utf-8")
        self.close = weakref.finalize(self, _shutdown, self.proc, (self.send_to, self.read_from))

    def send(self, message: Mapping[str, Any]) -> None:
        try:
            self.send_to.write(json.dumps(message) + "\n")
            self.send_to.flush()
        except (OSError, ValueError) as exc:
            raise self.died() from exc

    def receive(self) -> dict[str, Any]:
        line = self.read_from.readline()
        if not line:
            raise self.died()
        try:
            reply = json.loads(line)
        except ValueError as exc:
            raise self.died() from exc
        return reply if isinstance(reply, dict) else {}

    def died(self) -> DbtError:
        self.close()
        return DbtError(
            f"dbt stopped unexpectedly (exit {self.proc.returncode})",
            hint="see dbt's output above; ARMOR_DBT_DRIVER=off starts dbt once per step",
        )

    def wait(self) -> int:
        """dbt's exit code (signals as ``wait_for_dbt`` says); the child is reaped after."""
        try:
            return wait_for_dbt(self.proc, self.close)
        finally:
            self.close()


class DriverInvoker(SubprocessInvoker):
    """One dbt process for parse, ls and run; the run happens only on this side's verdict."""

    def __init__(
        self,
        project_dir: Path | None,
        profiles_dir: Path | None,
        executable: str,
        python: Sequence[str],
        secrets: Iterable[str] = (),
    ) -> None:
        super().__init__(project_dir, profiles_dir, executable, secrets)
        self.python = list(python)
        self.child: _Child | None = None
        self.driven: bool | None = None  # None until the driver said hello (or could not)
        self.parsed = False
        self.to_stderr = False

    def _connect(self) -> _Child | None:
        """The live driver, started on first use; None when falling back to one process per
        step (it cannot import dbt-core 1.x, or it was stopped)."""
        if self.driven is None:
            self.driven = False
            try:
                child = _Child(self.python, self._env())
            except OSError as exc:
                log.debug("dbt driver not started (%s); one dbt process per step", exc)
                return None
            try:
                hello = child.receive()
            except DbtError:
                hello = {"error": f"the driver exited (exit {child.proc.poll()})"}
            if "hello" not in hello:
                log.debug("dbt driver: %s; one dbt process per step", hello.get("error"))
                child.close()
                return None
            self.child, self.driven = child, True
        return self.child if self.driven and self.child and self.child.close.alive else None

    def close(self) -> None:
        """dbt will not run with this invoker: the driver exits without running."""
        if self.child is not None:
            self.child.close()

    def write_manifest(self) -> bool:
        """The caller will not run dbt: stop the driver (its parse wrote manifest.json)."""
        self.close()
        return False

    def _ask(self, argv: list[str]) -> dict[str, Any] | None:
        child = self._connect()
        if child is None:
            return None
        child.send({"op": "invoke", "argv": argv})
        return child.receive()

    def _parse(self, args: DbtArgs) -> None:
        # --write-json wins over DBT_WRITE_JSON: the manifest is read back from the file
        reply = self._ask(["parse", *args.parse_args, *self._dirs(args), "--write-json"])
        if reply is None:
            super()._parse(args)
            return
        if reply.get("code") != 0:
            self.close()
            raise DbtError(
                f"dbt parse failed (exit {reply.get('code')}): {_tail(_output(reply))}",
                hint="fix the project so `dbt parse` succeeds",
            )
        self.parsed = True

    def _ls(self, args: DbtArgs, output: list[str]) -> list[str]:
        if self._connect() is not None and not self.parsed:
            self._parse(args)  # ls then reuses the parse, and so does the run
        argv = ["ls", *args.ls_args(), *self._dirs(args), *output, "--log-level", "none"]
        reply = self._ask(argv)
        if reply is None:
            return super()._ls(args, output)
        if reply.get("code") != 0:
            raise DbtError(
                f"dbt ls could not resolve the selection (exit {reply.get('code')}): "
                f"{_tail(_output(reply))}",
                hint="check the --select/--exclude/--selector/--state arguments",
            )
        return [str(line) for line in reply.get("lines", [])]

    def select_and_parse(
        self, argv: Sequence[str], command: str = "build"
    ) -> tuple[Path, Selection]:
        """Parse, then ls on the parsed manifest, both in the driver (one process)."""
        if self._connect() is None:
            return super().select_and_parse(argv, command=command)
        return DbtInvoker.select_and_parse(self, argv, command=command)

    def run(
        self,
        command: str,
        argv: Sequence[str],
        env_extra: Mapping[str, str],
        *,
        stdout_to_stderr: bool = False,
    ) -> int:
        self.to_stderr = stdout_to_stderr  # the driver points its own stdout at stderr
        return super().run(command, argv, env_extra, stdout_to_stderr=stdout_to_stderr)

    def _run(self, command: str, argv: list[str], env_extra: Mapping[str, str]) -> int:
        child = self._connect()
        if child is None:
            return super()._run(command, argv, env_extra)
        self._env(env_extra)  # refuses (DbtError) to hand the API key to dbt
        sys.stdout.flush()  # our report first, then dbt's output on the same descriptors
        sys.stderr.flush()
        message = {"op": "run", "argv": [command, *argv], "env": dict(env_extra)}
        child.send({**message, "stdout_to_stderr": self.to_stderr})
        return child.wait()


def _output(reply: Mapping[str, Any]) -> str:
    return "\n".join(str(reply.get(k) or "") for k in ("output", "exception"))
