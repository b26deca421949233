"""dbt-armor's driver: run by dbt's own Python (``python driver.py IN_FD OUT_FD``) to parse,
list and, only on an explicit verdict, run dbt in one process. Standard library and dbt-core
1.x only (Python 3.10+); JSON lines over two private pipes, never over stdout. dbt_armor
imports ``exit_code``, ``raise_stack_limit`` and ``end_process`` from here: this file cannot
import the package.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import IO, Any

STACK_BYTES = 64 * 1024 * 1024  # the run's environment may be large (chunked gate results)
TAIL_BYTES = 20_000  # of a failed step's output, returned to the parent


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def tune_gc() -> None:
    """Fewer cyclic collections: dbt's parse and the gate's manifest work allocate millions of
    objects without cycles, and the default generation-0 threshold (700) makes collecting
    them a large share of CPU time."""
    gc.set_threshold(50_000, 20, 20)


def raise_stack_limit() -> None:
    """A larger stack rlimit, so a large environment (chunked gate results) gets through."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
        want = STACK_BYTES if hard == resource.RLIM_INFINITY else min(STACK_BYTES, hard)
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
    except (ImportError, ValueError, OSError):
        pass


def end_process(code: int, abandon: tuple[str, ...] = ()) -> None:
    """End this process now with ``code``, skipping only the interpreter's teardown.

    Once dbt is loaded, freeing every object and module at exit takes 0.7 s or more, after all
    the work is done. Exit handlers still run (dbt-duckdb closes its database, logging
    flushes, dbt-armor reaps its driver), then the standard streams are flushed. Returns
    without ending anything while a thread other than this one is alive that the normal exit
    would wait for: not a daemon, and not named with a prefix in ``abandon``.
    """
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is current or thread.daemon or not thread.is_alive():
            continue
        if not abandon or not thread.name.startswith(abandon):
            return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            stream.flush()
    os._exit(code)


@contextlib.contextmanager
def _captured() -> Iterator[IO[bytes]]:
    """File descriptors 1 and 2 into a temporary file for the block (dbt prints there)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        try:
            yield tmp
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def exit_code(result: Any) -> int:
    """The dbt CLI's exit code for a dbtRunnerResult: 0 success, 1 failure, 2 exception."""
    if getattr(result, "success", False):
        return 0
    return 2 if getattr(result, "exception", None) is not None else 1


def _hello() -> tuple[Any, dict[str, Any]]:
    """dbt's runner class and the greeting, or None and why dbt cannot be driven here."""
    try:
        from importlib.metadata import version

        found = version("dbt-core")
        if found.split(".", 1)[0] != "1":
            return None, {"error": f"dbt-core {found} is not 1.x"}
        from dbt.cli.main import dbtRunner
    except Exception as exc:  # any failure means: not drivable here
        return None, {"error": f"cannot import dbt-core 1.x: {type(exc).__name__}: {exc}"}
    return dbtRunner, {"hello": found, "python": sys.version.split()[0]}


def _invoke(runner: Any, manifest: Any, argv: list[str]) -> tuple[Any, dict[str, Any]]:
    """One captured dbt command; the reply says its code, result lines and output's tail."""
    with _captured() as tmp:
        result = runner(manifest=manifest).invoke(argv)
        tmp.seek(max(0, tmp.seek(0, os.SEEK_END) - TAIL_BYTES))
        output = tmp.read().decode("utf-8", "replace")
    reply: dict[str, Any] = {"code": exit_code(result), "output": output}
    if result.exception is not None:
        reply["exception"] = str(result.exception)
    if isinstance(result.result, list):
        reply["lines"] = [str(line) for line in result.result]
    return result, reply


def serve(inbox: IO[str], outbox: IO[str]) -> int:
    """Answer parse/ls requests; return dbt's exit code after a "run" verdict, or 0 without
    running anything on "stop", an unknown message or end of input."""
    runner, hello = _hello()
    _send(outbox, hello)
    if runner is None:
        return 0
    manifest = None
    for line in inbox:
        message = json.loads(line)
        op, argv = message.get("op"), [str(a) for a in message.get("argv", [])]
        if op == "invoke":
            result, reply = _invoke(runner, manifest, argv)
            if argv[:1] == ["parse"] and result.success and result.result is not None:
                manifest = result.result
            _send(outbox, reply)
        elif op == "run":  # the verdict; no manifest yet: dbt parses first
            os.environ.update({str(k): str(v) for k, v in message.get("env", {}).items()})
            if message.get("stdout_to_stderr"):
                sys.stdout.flush()
                os.dup2(2, 1)
            code = exit_code(runner(manifest=manifest).invoke(argv))
            sys.stdout.flush()
            sys.stderr.flush()
            return code
        else:
            return 0
    return 0


def main(argv: list[str]) -> int:
    """``driver.py IN_FD OUT_FD``: serve until the verdict; a broken pipe or Ctrl-C before it
    ends the process without running dbt."""
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]  # run by path: this package's modules must not shadow dbt's imports
    raise_stack_limit()
    tune_gc()
    inbox = os.fdopen(int(argv[1]), "r", encoding="utf-8")
    outbox = os.fdopen(int(argv[2]), "w", encoding="utf-8")
    try:
        return serve(inbox, outbox)
    except (BrokenPipeError, KeyboardInterrupt, ValueError):
        return 130 if sys.exc_info()[0] is KeyboardInterrupt else 2


if __name__ == "__main__":
    CODE = main(sys.argv)
    end_process(CODE)
    sys.exit(CODE)
