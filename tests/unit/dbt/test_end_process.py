"""end_process: the console script and the driver end without the interpreter's teardown, but
only once nothing is lost: exit handlers run, output is flushed, and a thread the normal exit
would wait for keeps the normal exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# block-buffered standard streams, as a console script has them when piped
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "ends.py"
    script.write_text(
        "import atexit, sys, threading, time\n"
        "from pathlib import Path\n"
        "from dbt_armor.dbt.driver import end_process\n"
        f"MARK = Path({str(tmp_path / 'atexit-ran')!r})\n"
        "atexit.register(MARK.write_text, 'yes')\n" + textwrap.dedent(body)
    )
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True, text=True, timeout=60, check=False, env=BUFFERED,
    )  # fmt: skip


def test_exit_handlers_run_and_buffered_output_arrives(tmp_path: Path) -> None:
    done = _run(
        """
        sys.stdout.write("no newline, still buffered")
        sys.stderr.write("on stderr")
        end_process(3)
        print("never reached")
        """,
        tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout == "no newline, still buffered"
    assert done.stderr == "on stderr"
    assert (tmp_path / "atexit-ran").read_text() == "yes"


def test_a_thread_the_exit_waits_for_keeps_the_normal_exit(tmp_path: Path) -> None:
    """end_process returns while a non-daemon thread works; the normal exit then waits for it,
    so what it writes is not cut off."""
    done = _run(
        """
        def work():
            time.sleep(0.5)
            Path(str(MARK) + ".thread").write_text("finished")
        threading.Thread(target=work, name="writer").start()
        end_process(3)
        print("end_process returned", flush=True)
        sys.exit(5)
        """,
        tmp_path,
    )
    assert done.returncode == 5, done.stderr
    assert "end_process returned" in done.stdout
    assert (tmp_path / "atexit-ran.thread").read_text() == "finished"
    assert (tmp_path / "atexit-ran").read_text() == "yes"


def test_named_threads_are_abandoned_and_daemons_do_not_hold_the_exit(tmp_path: Path) -> None:
    """A platform read still in flight after the deadline (abandon prefix) and a daemon thread
    do not keep the process alive."""
    done = _run(
        """
        threading.Thread(target=time.sleep, args=(60,), name="armor-gate_0").start()
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        started = time.monotonic()
        end_process(4, ("armor-gate",))
        """,
        tmp_path,
    )
    assert done.returncode == 4, done.stderr
    assert (tmp_path / "atexit-ran").read_text() == "yes"


def test_a_closed_stdout_does_not_change_the_code(tmp_path: Path) -> None:
    """The reader went away (`dbt-armor run ... | head`): the flush fails, the code stays."""
    script = tmp_path / "closed.py"
    script.write_text(
        "import sys\n"
        "from dbt_armor.dbt.driver import end_process\n"
        "sys.stdout.write('buffered')\n"
        "sys.stdin.readline()\n"  # the parent has closed our stdout's reading end by now
        "end_process(0)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=BUFFERED
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdout.close()
    proc.stdin.write(b"go\n")
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0  # a failed flush at the normal exit gives 120
