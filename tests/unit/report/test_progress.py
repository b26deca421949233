"""report.progress: the plain line, its throttle, and the closing line (fake clock)."""

from __future__ import annotations

from dbt_armor.report.progress import Progress, duration, line


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_line_shows_done_total_rate_and_eta() -> None:
    assert line("applying", 0, 3000, 0.0) == "applying: 0/3000 (0%), 0.0/s"
    assert line("applying", 500, 3000, 60.0) == "applying: 500/3000 (16%), 8.3/s, ETA 5m 00s"
    assert line("applying", 3000, 3000, 360.0) == (
        "applying: 3000/3000 (100%), 8.3/s, done in 6m 00s"
    )
    assert line("waiting", 0, None, 12.0, "job j1 running") == (
        "waiting: job j1 running, 12s elapsed"
    )
    assert duration(3725) == "1h 02m"


def test_lines_at_most_every_interval_then_a_closing_line() -> None:
    clock, out = Clock(), []
    with Progress("applying", None, interval=5.0, clock=clock, write=out.append) as bar:
        bar.start(10)
        for _ in range(10):
            clock.now += 1.0
            bar.advance()
    assert out == [
        "applying: 0/10 (0%), 0.0/s",
        "applying: 5/10 (50%), 1.0/s, ETA 5s",
        "applying: 10/10 (100%), 1.0/s, done in 10s",
    ]


def test_status_only_work_and_no_duplicate_closing_line() -> None:
    clock, out = Clock(), []
    with Progress("waiting", None, interval=2.0, clock=clock, write=out.append) as bar:
        bar.start(None)
        clock.now += 3.0
        bar.status("job j1 running")
    assert out == ["waiting: working, 0s elapsed", "waiting: job j1 running, 3s elapsed"]


def test_work_refused_before_it_began_prints_nothing() -> None:
    clock, out = Clock(), []
    try:
        with Progress("applying", None, clock=clock, write=out.append):
            raise RuntimeError("the plan was refused")
    except RuntimeError:
        pass
    assert out == []
    with Progress("applying", None, clock=clock, write=out.append) as bar:
        bar.start(0)
    assert out == ["applying: 0/0, 0.0/s, done in 0s"]
