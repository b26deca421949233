"""The API key never leaks (exceptions, logs, reprs); transport security defaults hold."""

from __future__ import annotations

import logging
import pickle

import httpx
import pytest
from client_helpers import KEY, Recorder, error, make_client

from dbt_armor.api import ArmorClient
from dbt_armor.config import Secret
from dbt_armor.errors import ArmorError, ConfigError

FAILURES = [
    error(401, "UNAUTHORIZED", "Invalid API key"),
    error(403, "FORBIDDEN", "nope", current_scope="read-only", required_scope="read-write"),
    httpx.Response(500, text="<html>oops</html>"),
    httpx.Response(429, headers={"Retry-After": "1"}),
    httpx.Response(200, text="not json"),
    httpx.Response(301, headers={"Location": "https://elsewhere.example/"}),
    httpx.ConnectError("refused"),
    httpx.ReadTimeout("timed out"),
]


@pytest.mark.parametrize(
    "failure", FAILURES, ids=lambda f: type(f).__name__ + str(getattr(f, "status_code", ""))
)
def test_key_absent_from_exceptions_logs_and_reprs(
    failure: httpx.Response | Exception, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rec = Recorder(failure)
    client = make_client(rec, max_retries=1)
    with pytest.raises(ArmorError) as info:
        client.freshness.get("ds.db.raw.orders")
    exc = info.value
    # the key did go out in the header ...
    assert rec.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    # ... and nowhere else.
    texts = [str(exc), repr(exc), repr(exc.__dict__), repr(client), repr(client.stats)]
    texts += [str(exc.__cause__), repr(exc.__context__)]
    texts += [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    for text in texts:
        assert KEY not in text
        assert KEY[-12:] not in text
    assert any(r.name == "dbt_armor.api" for r in caplog.records)


def test_debug_log_has_method_path_status_attempt(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="dbt_armor.api")
    make_client(Recorder(httpx.Response(200, json={"data": {}}))).freshness.summary()
    (line,) = [r.getMessage() for r in caplog.records if "->" in r.getMessage()]
    assert line.startswith("GET /sdk/freshness/summary -> 200 in ") and "attempt 1" in line


def test_secret_masking() -> None:
    secret = Secret(KEY)
    assert str(secret) == repr(secret)[8:-2] == "aa_test_…SECR"
    assert KEY not in f"{secret} {secret!r} {[secret]}"
    assert secret.reveal() == KEY
    assert Secret("short").masked == "…"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


@pytest.mark.parametrize("url", ["http://api.anomalyarmor.ai/api/v1", "http://10.0.0.5:8000"])
def test_plain_http_refused_for_non_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match="http://"):
        ArmorClient(KEY, url)
    ArmorClient(KEY, url, allow_http=True).close()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8123", "http://localhost:1/api/v1", "http://[::1]:80", "http://127.8.9.10"],
)
def test_plain_http_allowed_for_loopback(url: str) -> None:
    client = ArmorClient(KEY, url)
    assert client.base_url.endswith("/api/v1")
    client.close()


def test_url_path_gets_api_prefix_and_credentials_refused() -> None:
    assert ArmorClient(KEY, "https://x.example").base_url == "https://x.example/api/v1"
    assert ArmorClient(KEY, "https://x.example/api/v1/").base_url == "https://x.example/api/v1"
    assert ArmorClient(KEY, "https://x.example/proxy").base_url == "https://x.example/proxy/api/v1"
    with pytest.raises(ConfigError):
        ArmorClient(KEY, "https://user:pw@x.example")
    with pytest.raises(ConfigError, match="invalid API URL"):
        ArmorClient(KEY, "ftp://x")


def test_verify_false_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dbt_armor.api")
    ArmorClient(KEY, "https://x.example", verify=False).close()
    assert any("verification is OFF" in r.getMessage() for r in caplog.records)


def test_no_key_sends_no_authorization_header() -> None:
    rec = Recorder(httpx.Response(200, json={"data": {}}))
    make_client(rec, api_key=None).freshness.summary()
    assert "Authorization" not in rec.requests[0].headers
