"""Progress of long work, on stderr: a rich bar on a terminal; elsewhere (CI logs, pipes) one
plain line at most every few seconds with done/total, rate and ETA, so a job never looks hung.
Knows nothing about what is being counted; thread-safe (sync apply reports from workers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

DEFAULT_INTERVAL = 5.0  # seconds between two plain lines


def duration(seconds: float) -> str:
    """``75`` -> ``1m 15s``; ``3700`` -> ``1h 01m``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def line(label: str, done: int, total: int | None, elapsed: float, status: str = "") -> str:
    """The plain progress line (pure)."""
    if total is None:
        return f"{label}: {status or 'working'}, {duration(elapsed)} elapsed"
    rate = done / elapsed if elapsed > 0 else 0.0
    share = f" ({done * 100 // total}%)" if total else ""
    text = f"{label}: {done}/{total}{share}, {rate:.1f}/s"
    if 0 < done < total and rate > 0:
        text += f", ETA {duration((total - done) / rate)}"
    elif done >= total:
        text += f", done in {duration(elapsed)}"
    return text


class Progress:
    """``with Progress("applying", console) as p: p.start(n); p.advance()``.

    ``console`` is a rich Console on stderr; ``write`` (tests) replaces its plain output.
    """

    def __init__(
        self,
        label: str,
        console: Any,
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        write: Callable[[str], None] | None = None,
    ) -> None:
        self.label = label
        self._console = console
        self._interval = interval
        self._clock = clock
        self._write = write or self._print
        self._lock = threading.Lock()
        self._done = 0
        self._total: int | None = None
        self._status = ""
        self._begun = False  # start() called: the work began (else no closing line)
        self._started = clock()
        self._last = float("-inf")
        self._last_text = ""
        self._bar: Any = None
        self._task: Any = None
        self._terminal = write is None and bool(getattr(console, "is_terminal", False))

    def _print(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False, soft_wrap=True)

    def __enter__(self) -> Progress:
        if self._terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn(self.label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=self._console,
                transient=True,
            )
            self._task = self._bar.add_task("", total=None)
            self._bar.start()
        return self

    def start(self, total: int | None) -> None:
        """Set the total (None: unknown) and print the first line at once."""
        with self._lock:
            self._begun = True
            self._total = total
            self._started = self._clock()
            if self._bar is not None:
                self._bar.update(self._task, total=total)
            else:
                self._emit(force=True)

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self._done += count
            if self._bar is not None:
                self._bar.advance(self._task, count)
            else:
                self._emit()

    def status(self, text: str) -> None:
        """For work without a count (waiting on a job): the current state."""
        with self._lock:
            self._status = text
            if self._bar is not None:
                self._bar.update(self._task, description=text)
            else:
                self._emit()

    def _emit(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last < self._interval:
            return
        text = line(self.label, self._done, self._total, now - self._started, self._status)
        self._last, self._last_text = now, text
        self._write(text)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            return
        with self._lock:
            if not self._begun:  # refused before any work began: no line
                return
            final = line(
                self.label, self._done, self._total, self._clock() - self._started, self._status
            )
            if final != self._last_text:  # the closing state, unless it was just printed
                self._last_text = final
                self._write(final)
