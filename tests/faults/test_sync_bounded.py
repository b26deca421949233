"""`sync apply` ends in bounded time and stops writing when writing cannot succeed (issue 13,
items 3, 4 and 9), through the real CLI against the emulator with injected faults."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.cli.main import main
from dbt_armor.sync.keys import parse_marker

CATALOGUE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "sync_catalogue.json"
COUNTS = re.compile(
    r"Applied: (\d+) created, (\d+) updated, (\d+) replaced, (\d+) deleted, "
    r"(\d+) reconciled, (\d+) cleaned up in ([\d.]+) s \((\d+) requests\)"
)


def _setup(emulator: Any, tmp_path: Path, timeout: float) -> Path:
    (tmp_path / "target").mkdir(exist_ok=True)
    shutil.copy(CATALOGUE, tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text(
        f"api_url: {emulator.url}/api/v1\nallow_http: true\ntimeout: {timeout}\n"
        "data_sources:\n  '*': warehouse\n"
    )
    body = json.loads(CATALOGUE.read_text())
    httpx.post(f"{emulator.url}/_emulator/manifest?data_source=warehouse", json=body)
    return tmp_path


@pytest.fixture()
def project(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_key: str) -> Path:
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return _setup(emulator, tmp_path, timeout=1)


def fault(emulator: Any, **spec: Any) -> None:
    httpx.post(f"{emulator.url}/_emulator/faults", json=spec, timeout=10).raise_for_status()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err, time.monotonic() - started


def requests(emulator: Any, method: str) -> int:
    """Requests of ``method`` to the API the emulator received (delayed ones included)."""
    return sum(
        1
        for e in emulator.app.request_log()
        if e["method"] == method and e["path"].startswith("/api/")
    )


def remote(api_key: str, emulator: Any) -> Counter[str]:
    with ArmorClient(api_key, emulator.api_url) as client:
        keys: Counter[str] = Counter()
        for rule in client.validity.iter("warehouse"):
            keys[getattr(parse_marker(rule.description), "key", "?")] += 1
        for check in client.referential.iter("warehouse"):
            keys[getattr(parse_marker(check.description), "key", "?")] += 1
        for sched in client.freshness.iter_schedules(asset_id="warehouse"):
            keys["schedule:" + sched.table_path.lower()] += 1
    return keys


def test_403_stops_after_one_write(
    project: Path,
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    readonly_key: str,
) -> None:
    monkeypatch.setenv("ARMOR_API_KEY", readonly_key)
    code, out, err, _ = cli(capsys, "sync", "apply", "--project-dir", str(project))
    assert code == 2, err
    # stderr also says which target/data source the names are for, and progress; one error
    lines = [ln for ln in err.splitlines() if ln.startswith("dbt-armor: error")]
    assert len(lines) == 1 and "Traceback" not in err
    assert "read-write" in lines[0] and "read-only" in lines[0]
    assert requests(emulator, "POST") == 1  # one write, refused; nothing else was sent
    assert re.search(r"Not done: 1 failed, \d+ not attempted \(stopped: the API key", out)


def test_permanent_429_ends_within_the_budget(
    project: Path, emulator: Any, capsys: pytest.CaptureFixture[str], api_key: str
) -> None:
    fault(emulator, match="POST /api/v1/*", status=429, retry_after=1, count=None)
    code, out, err, elapsed = cli(
        capsys, "sync", "apply", "--project-dir", str(project), "--budget", "3"
    )
    assert code == 4, err
    assert elapsed < 3 + 1.5, elapsed
    errors = [ln for ln in err.splitlines() if ln.startswith("dbt-armor: error")]
    assert "Traceback" not in err and len(errors) == 1, err
    assert requests(emulator, "POST") <= 5
    assert "not attempted" in out and sum(remote(api_key, emulator).values()) == 0


def test_slow_writes_stop_at_the_budget_and_the_summary_adds_up(
    project: Path, emulator: Any, capsys: pytest.CaptureFixture[str], api_key: str
) -> None:
    fault(emulator, match="POST /api/v1/*", latency_ms=300, count=None)
    code, out, err, elapsed = cli(
        capsys, "sync", "apply", "--project-dir", str(project), "--budget", "1.5"
    )
    assert code == 4 and "apply budget ran out" in err
    assert elapsed < 1.5 + 1.5 + 1.0, elapsed  # the budget, one client timeout, start-up
    done = COUNTS.search(out)
    undone = re.search(r"Not done: (\d+) failed, (\d+) not attempted", out)
    assert done and undone, out
    created = int(done.group(1))
    total = int(re.search(r"Plan: (\d+) to create", out).group(1))  # type: ignore[union-attr]
    assert 0 < created < total
    assert created + int(undone.group(1)) + int(undone.group(2)) == total
    time.sleep(0.5)  # the last delayed POSTs land
    # a write in flight at the deadline may commit after its client gave up: at most one each
    assert created <= sum(remote(api_key, emulator).values()) <= created + 4


def test_late_commit_is_waited_for_and_never_sent_twice(
    project: Path, emulator: Any, capsys: pytest.CaptureFixture[str], api_key: str
) -> None:
    """A POST answered after the client's 1 s timeout commits at 1.8 s: apply waits for it
    instead of sending the create again, so no copy is ever made."""
    fault(emulator, match="POST /api/v1/sdk/validity/*", latency_ms=1800, count=1)
    code, out, err, _ = cli(capsys, "sync", "apply", "--project-dir", str(project))
    assert code == 0, err
    done = COUNTS.search(out)
    assert done and done.group(5) == "1" and done.group(6) == "0", out  # 1 reconciled
    total = int(re.search(r"Plan: (\d+) to create", out).group(1))  # type: ignore[union-attr]
    assert requests(emulator, "POST") == total  # never sent twice
    keys = remote(api_key, emulator)
    assert max(keys.values()) == 1 and sum(keys.values()) == total
    code, _, err, _ = cli(
        capsys, "sync", "plan", "--project-dir", str(project), "--fail-on-changes"
    )
    assert code == 0, err


@pytest.mark.slow
def test_late_commit_after_a_long_timeout_leaves_no_duplicate(
    emulator: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    api_key: str,
) -> None:
    """The issue's case scaled down: client timeout 15 s, the server commits at 27 s (it used
    to wait only min(timeout, 10 s) before re-sending and cleaning up)."""
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    project = _setup(emulator, tmp_path, timeout=15)
    fault(emulator, match="POST /api/v1/sdk/validity/*", latency_ms=27_000, count=1)
    code, _out, err, elapsed = cli(capsys, "sync", "apply", "--project-dir", str(project))
    assert code == 0, err
    time.sleep(max(0.0, 28 - elapsed))
    assert max(remote(api_key, emulator).values()) == 1
    code, _, err, _ = cli(
        capsys, "sync", "plan", "--project-dir", str(project), "--fail-on-changes"
    )
    assert code == 0, err
