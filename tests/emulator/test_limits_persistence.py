"""Rate limiting per key tier (unit, with a fake clock, and under concurrent HTTP load),
persistence across restarts (batched writes, flush on stop), and deterministic ids."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from dbt_armor.emulator import ApiKey, EmulatorConfig, EmulatorServer
from dbt_armor.emulator.ratelimit import KeyRateLimiter


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_burst_and_minute_windows() -> None:
    clock = FakeClock(1_000_020.0)
    rl = KeyRateLimiter(clock=clock)
    verdicts = [rl.check("k", "free_trial") for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]  # burst 2/s
    assert verdicts[2].retry_after == 1 and verdicts[2].headers()["Retry-After"] == "1"
    allowed = 2
    for _ in range(30):
        clock.t += 1.0
        allowed += sum(rl.check("k", "free_trial").allowed for _ in range(2))
    assert allowed == 20  # 20 per minute
    refused = rl.check("k", "free_trial")
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == refused.reset - int(clock.t)
    assert rl.check("other", "free_trial").allowed  # per key
    clock.t = refused.reset + 0.5
    assert rl.check("k", "free_trial").allowed


def test_limit_holds_under_concurrent_load(tmp_path: Path) -> None:
    key = ApiKey("aa_live_starter_key_000000000000000000", "read-only", "starter")
    with EmulatorServer(EmulatorConfig(keys=[key])) as emu:
        emu.state.add_table("wh", "db", "raw", "orders")
        results: list[httpx.Response] = []
        lock = threading.Lock()

        def worker() -> None:
            with httpx.Client(headers={"Authorization": f"Bearer {key.key}"}) as c:
                for _ in range(6):
                    r = c.get(emu.api_url + "/sdk/freshness/wh.db.raw.orders")
                    with lock:
                        results.append(r)

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert len(results) == 36
    ok = [r for r in results if r.status_code == 200]
    limited = [r for r in results if r.status_code == 429]
    assert len(ok) + len(limited) == 36
    assert 3 <= len(ok) <= 30  # at least one burst got through; never above the minute limit
    for r in limited:
        assert r.json()["error"]["code"] == "RATE_LIMITED"
        assert int(r.headers["Retry-After"]) >= 1
    for r in results:
        assert r.headers["X-RateLimit-Limit"] == "30"
        assert 0 <= int(r.headers["X-RateLimit-Remaining"]) < 30
        assert int(r.headers["X-RateLimit-Reset"]) > 0
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in ok)
    assert len(set(remaining)) == len(remaining)  # each success consumed exactly one slot


def _rule(emu: EmulatorServer, key: str, client: httpx.Client | None = None) -> dict[str, object]:
    body = {"rule_type": "UNIQUE", "table_path": "raw.orders", "column_name": "id"}
    post = client.post if client is not None else httpx.post
    r = post(
        emu.api_url + "/sdk/validity/wh", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 201
    return r.json()["data"]  # type: ignore[no-any-return]


def test_state_survives_restart(tmp_path: Path, api_key: str) -> None:
    state_file = tmp_path / "state.sqlite"
    with EmulatorServer(EmulatorConfig(state_file=state_file, seed=3)) as emu:
        emu.state.add_table("wh", "db", "raw", "orders")
        first = _rule(emu, api_key)
        httpx.post(
            emu.url + "/_emulator/freshness",
            json={"qualified_name": "wh.db.raw.orders", "status": "stale"},
        )
    with EmulatorServer(EmulatorConfig(state_file=state_file, seed=3)) as emu:
        h = {"Authorization": f"Bearer {api_key}"}
        rules = httpx.get(emu.api_url + "/sdk/validity/wh", headers=h).json()["data"]
        assert [r["uuid"] for r in rules] == [first["uuid"]]
        second = _rule(emu, api_key)
        assert second["id"] == 2 and second["uuid"] != first["uuid"]
        fresh = httpx.get(emu.api_url + "/sdk/freshness/wh.db.raw.orders", headers=h).json()
        assert fresh["data"]["status"] == "stale"


def test_ids_are_deterministic_per_seed(api_key: str) -> None:
    seen = []
    for seed in (5, 5, 6):
        with EmulatorServer(EmulatorConfig(seed=seed)) as emu:
            table = emu.state.add_table("wh", "db", "raw", "orders")
            seen.append((table["id"], _rule(emu, api_key)["uuid"]))
    assert seen[0] == seen[1] and seen[0][0] != seen[2][0] and seen[0][1] != seen[2][1]


def _saved_rules(state_file: Path) -> dict[str, Any]:
    """The validity rules as another reader of the SQLite file sees them right now."""
    con = sqlite3.connect(str(state_file))
    try:
        row = con.execute("SELECT body FROM blobs WHERE name = 'validity'").fetchone()
    finally:
        con.close()
    return dict(json.loads(row[0])) if row else {}


def test_state_writes_are_batched_and_flushed_on_stop(tmp_path: Path, api_key: str) -> None:
    state_file = tmp_path / "state.sqlite"
    emu = EmulatorServer(EmulatorConfig(state_file=state_file, state_flush_seconds=0.3)).start()
    assert emu.state.store is not None
    writes: list[int] = []
    real_write = emu.state.store.write

    def counting_write(rows: list[tuple[str, str]]) -> None:
        writes.append(len(rows))
        real_write(rows)

    emu.state.store.write = counting_write  # type: ignore[method-assign]
    try:
        emu.state.add_table("wh", "db", "raw", "orders")
        with httpx.Client() as client:  # one client: 30 requests in well under a second
            uuids = [str(_rule(emu, api_key, client)["uuid"]) for _ in range(30)]
        deadline = time.monotonic() + 5
        while len(_saved_rules(state_file)) < 30:  # saved without a stop, shortly after
            assert time.monotonic() < deadline, "changes were not written"
            time.sleep(0.02)
        assert 1 <= len(writes) < 30  # 31 changes, far fewer whole-state writes
    finally:
        emu.stop()
    assert sorted(_saved_rules(state_file)) == sorted(uuids)

    slow = EmulatorServer(EmulatorConfig(state_file=state_file, state_flush_seconds=60)).start()
    try:
        last = _rule(slow, api_key)["uuid"]
        assert last not in _saved_rules(state_file)  # pending: the next write is a minute away
    finally:
        slow.stop()
    assert last in _saved_rules(state_file)  # stop wrote it


def test_write_through_when_flush_interval_is_zero(tmp_path: Path, api_key: str) -> None:
    state_file = tmp_path / "state.sqlite"
    with EmulatorServer(EmulatorConfig(state_file=state_file, state_flush_seconds=0)) as emu:
        emu.state.add_table("wh", "db", "raw", "orders")
        uuid = _rule(emu, api_key)["uuid"]
        assert uuid in _saved_rules(state_file)
