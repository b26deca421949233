"""Each injectable fault, its count and expiry, and the request log (which never holds a key)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from dbt_armor.emulator import EmulatorServer, faults

RULES = "/api/v1/sdk/validity/wh"


@pytest.fixture()
def emu(emulator: EmulatorServer) -> EmulatorServer:
    emulator.state.add_table("wh", "db", "raw", "orders")
    return emulator


def fault(emu: EmulatorServer, **spec: Any) -> None:
    r = httpx.post(emu.url + "/_emulator/faults", json=spec)
    assert r.status_code == 200, r.text


def get(emu: EmulatorServer, key: str, path: str = RULES) -> httpx.Response:
    return httpx.get(emu.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def create(emu: EmulatorServer, key: str) -> httpx.Response:
    body = {"rule_type": "NOT_NULL", "table_path": "raw.orders", "column_name": "id"}
    return httpx.post(emu.url + RULES, json=body, headers={"Authorization": f"Bearer {key}"})


def test_latency_applies_count_times(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="GET /api/v1/sdk/validity/*", latency_ms=300, count=1)
    started = time.monotonic()
    assert get(emu, api_key).status_code == 200
    assert time.monotonic() - started >= 0.3  # a lower bound: load cannot make it shorter
    assert get(emu, api_key).status_code == 200
    # the second request is not delayed: the one use was spent (the log says so, whatever
    # the machine's load does to wall-clock times)
    delayed = [e.get("fault") for e in emu.app.request_log() if e["path"] == RULES]
    assert delayed == ["GET /api/v1/sdk/validity/*", None]
    assert httpx.get(emu.url + "/_emulator/faults").json()["data"]["faults"] == []


def test_429_with_seconds_then_recovers(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="GET /api/v1/sdk/*", status=429, retry_after=7, count=2)
    for _ in range(2):
        r = get(emu, api_key)
        assert r.status_code == 429 and r.headers["Retry-After"] == "7"
        assert r.json()["error"]["code"] == "RATE_LIMITED"
    assert get(emu, api_key).status_code == 200


def test_429_with_http_date(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="GET *", status=429, retry_after_date="5")
    r = get(emu, api_key)
    assert parsedate_to_datetime(r.headers["Retry-After"]).timestamp() > time.time() + 3


def test_5xx_and_method_mismatch(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="POST /api/v1/sdk/validity/*", status=503, count=1)
    assert get(emu, api_key).status_code == 200  # GET does not match
    r = create(emu, api_key)
    assert r.status_code == 503 and r.json()["error"]["code"] == "INTERNAL_ERROR"
    assert get(emu, api_key).json()["pagination"]["total"] == 0  # nothing was committed


def test_drop_after_commit_applies_the_write(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="POST /api/v1/sdk/validity/wh", drop_after_commit=True)
    with pytest.raises(httpx.TransportError):
        create(emu, api_key)
    assert get(emu, api_key).json()["pagination"]["total"] == 1


def test_drop_before_commit_does_not(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="POST /api/v1/sdk/validity/wh", drop_before_commit=True)
    with pytest.raises(httpx.TransportError):
        create(emu, api_key)
    assert get(emu, api_key).json()["pagination"]["total"] == 0


def test_malformed_json_and_html_page(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="GET *", malformed_json=True)
    r = get(emu, api_key)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    fault(emu, match="GET *", html=True)
    page = get(emu, api_key)
    assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")


def test_large_and_dripped_bodies(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="GET *", large_bytes=3_000_000)
    big = get(emu, api_key)
    assert len(big.content) > 3_000_000 and big.json()["pagination"]["total"] == 0
    fault(emu, match="GET *", drip_ms=20)
    started = time.monotonic()
    slow = get(emu, api_key)
    assert slow.json()["pagination"]["total"] == 0 and time.monotonic() - started > 0.04


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_unlimited_fault_expires(
    emu: EmulatorServer, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()  # the fault table's clock only: expiry without waiting, under any load
    monkeypatch.setattr(faults, "time", clock)
    fault(emu, match="GET *", status=500, count=None, expires_in_s=2.0)
    assert [get(emu, api_key).status_code for _ in range(3)] == [500, 500, 500]
    clock.now += 1.9
    listed = httpx.get(emu.url + "/_emulator/faults").json()["data"]["faults"]
    assert listed[0]["hits"] == 3 and listed[0]["count"] is None
    assert get(emu, api_key).status_code == 500  # still live just before its end
    clock.now += 0.15
    assert get(emu, api_key).status_code == 200
    assert httpx.get(emu.url + "/_emulator/faults").json()["data"]["faults"] == []


def test_bad_fault_spec_and_clear(emu: EmulatorServer, api_key: str) -> None:
    assert httpx.post(emu.url + "/_emulator/faults", json={"status": 999}).status_code == 400
    fault(emu, match="GET *", status=500, count=5)
    assert httpx.delete(emu.url + "/_emulator/faults").status_code == 200
    assert get(emu, api_key).status_code == 200


def test_request_log_never_holds_the_key(emu: EmulatorServer, api_key: str) -> None:
    get(emu, api_key)
    get(emu, "aa_live_wrong_key_zzzzzzzzzzzz")
    log = httpx.get(emu.url + "/_emulator/requests")
    assert api_key not in log.text and "aa_live_wrong_key" not in log.text
    entries = log.json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", RULES, 200),
        ("GET", RULES, 401),
    ]
    assert all(e["duration_ms"] >= 0 for e in entries)


def test_injected_answers_carry_rate_limit_headers(emu: EmulatorServer, api_key: str) -> None:
    fault(emu, match="GET *", status=500)
    r = get(emu, api_key)
    assert r.status_code == 500 and r.headers["X-RateLimit-Limit"] == "5000"


def test_chunked_request_body_is_read(emu: EmulatorServer, api_key: str) -> None:
    body = b'{"rule_type": "NOT_NULL", "table_path": "raw.orders", "column_name": "id"}'

    def chunks() -> Iterator[bytes]:
        yield body[:10]
        yield body[10:]

    r = httpx.post(
        emu.url + RULES, content=chunks(), headers={"Authorization": f"Bearer {api_key}"}
    )
    assert r.status_code == 201 and r.json()["data"]["column_name"] == "id"
