"""Figures for `sync apply` under faults: wall time and request counts through the real CLI
against a loopback emulator (the sync_catalogue fixture, client timeout 1 s), plus the client
limiter against the emulator's own window limiter on a fake clock when the configured tier is
above the key's.

Run: `python -m bench.sync_faults` (about a minute). Figures, not pass/fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from dbt_armor.api.limiter import RateLimiter
from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READONLY_KEY, DEFAULT_READWRITE_KEY
from dbt_armor.emulator.ratelimit import RateLimiter as ServerLimiter

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tests" / "fixtures" / "manifests" / "sync_catalogue.json"


class _Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def limiter_rows(seconds: float = 300.0) -> list[str]:
    """Accepted / refused requests in ``seconds`` of sending as fast as the limiter allows."""
    rows = []
    for configured, real in (("enterprise", "free_trial"), ("growth", "starter")):
        clock = _Clock()
        client = RateLimiter.for_tier(configured, clock=clock.time, sleep=clock.sleep)
        server = ServerLimiter(clock=clock.time)
        ok = refused = 0
        while clock.now < 1_700_000_000.0 + seconds:
            client.acquire()
            verdict = server.check("key", real)
            if hasattr(client, "observe_limit"):
                client.observe_limit(verdict.limit)
            client.observe(verdict.remaining, verdict.reset - clock.now)
            ok += verdict.allowed
            refused += not verdict.allowed
            if not verdict.allowed:
                if hasattr(client, "observe_429"):
                    client.observe_429()
                client.pause_for(verdict.retry_after)
            elif hasattr(client, "observe_ok"):
                client.observe_ok()
        rows.append(
            f"limiter {configured} config on a {real} key: {ok} accepted "
            f"({ok / seconds * 60:.1f}/min), {refused} answered 429 in {seconds:g} s"
        )
    return rows


def _project(emu: EmulatorServer, tmp: Path) -> Path:
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "target").mkdir(parents=True)
    shutil.copy(CATALOGUE, tmp / "target" / "manifest.json")
    (tmp / "dbt_armor.yml").write_text(
        f"api_url: {emu.url}/api/v1\nallow_http: true\ntimeout: 1\n"
        "data_sources:\n  '*': warehouse\n"
    )
    emu.app.reset()
    body = json.loads(CATALOGUE.read_text())
    httpx.post(f"{emu.url}/_emulator/manifest?data_source=warehouse", json=body, timeout=10)
    return tmp


def _cli(args: list[str], key: str) -> tuple[int, float, str]:
    import os

    os.environ["ARMOR_API_KEY"] = key
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, time.monotonic() - started, (out.getvalue() + err.getvalue()).strip()


def _count(emu: EmulatorServer, method: str) -> int:
    return sum(
        1 for e in emu.app.request_log() if e["method"] == method and e["path"].startswith("/api/")
    )


def _copies(emu: EmulatorServer) -> int:
    from dbt_armor.api import ArmorClient
    from dbt_armor.sync.keys import parse_marker

    with ArmorClient(DEFAULT_READWRITE_KEY, emu.api_url) as client:
        keys = [parse_marker(r.description) for r in client.validity.iter("warehouse")]
    found = [k.key for k in keys if k is not None]
    return len(found) - len(set(found))


SCENARIOS: list[tuple[str, dict[str, Any] | None, list[str], str]] = [
    ("permanent 429 on POST, default budget", {"status": 429, "retry_after": 1, "count": None},
     [], DEFAULT_READWRITE_KEY),
    ("permanent 429 on POST, --budget 3", {"status": 429, "retry_after": 1, "count": None},
     ["--budget", "3"], DEFAULT_READWRITE_KEY),
    ("read-only key", None, [], DEFAULT_READONLY_KEY),
    ("one POST committed at 1.8 s, client timeout 1 s", {"latency_ms": 1800, "count": 1,
     "match": "POST /api/v1/sdk/validity/*"}, [], DEFAULT_READWRITE_KEY),
]  # fmt: skip


def main_() -> None:
    for row in limiter_rows():
        print(row)
    with EmulatorServer(EmulatorConfig(port=0, seed=1)) as emu, tempfile.TemporaryDirectory() as d:
        for name, fault, extra, key in SCENARIOS:
            project = _project(emu, Path(d) / "p")
            if fault is not None:
                spec = {"match": "POST /api/v1/*", **fault}
                httpx.post(f"{emu.url}/_emulator/faults", json=spec, timeout=10)
            args = ["sync", "apply", "--project-dir", str(project), *extra]
            code, took, text = _cli(args, key)
            time.sleep(1.0)  # delayed requests land and are logged
            last = text.splitlines()[-1][:110] if text else ""
            print(
                f"{name}: exit {code} after {took:.1f} s, {_count(emu, 'POST')} POST, "
                f"{_count(emu, 'GET')} GET, {_copies(emu)} duplicate rules; {last}"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main_()
