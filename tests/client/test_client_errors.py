"""Every HTTP failure maps to one ArmorError subclass with the server's code and details kept."""

from __future__ import annotations

import httpx
import pytest
from client_helpers import FakeClock, Recorder, error, make_client

from dbt_armor.errors import (
    ApiError,
    ApiStatusError,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PlatformTimeout,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TransportError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (400, ValidationError),
        (422, ValidationError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, ApiStatusError),
    ],
)
def test_status_maps_to_class_and_keeps_server_code(status: int, cls: type[ApiError]) -> None:
    rec = Recorder(error(status, "SOME_CODE", "server says no", asset_id="x.y"))
    client = make_client(rec, max_retries=0)
    with pytest.raises(cls) as info:
        client.freshness.get("x.y")
    exc = info.value
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.code == "SOME_CODE"
    assert exc.details == {"asset_id": "x.y"}
    text = str(exc)
    assert "\n" not in text
    assert "GET /sdk/freshness/x.y" in text and "server says no" in text
    assert exc.hint  # every error says what to do


def test_forbidden_carries_scopes_and_suggests_a_key() -> None:
    rec = Recorder(
        error(
            403,
            "FORBIDDEN",
            "Insufficient permissions. Required scope: read-write",
            current_scope="read-only",
            required_scope="read-write",
        )
    )
    client = make_client(rec)
    with pytest.raises(ForbiddenError) as info:
        client.freshness.refresh("a.b.c.d")
    assert info.value.required_scope == "read-write"
    assert info.value.current_scope == "read-only"
    assert "read-write" in str(info.value) and "read-only" in str(info.value)
    assert len(rec.requests) == 1


def test_rate_limit_error_after_retries_has_retry_after_seconds() -> None:
    resp = httpx.Response(
        429, headers={"Retry-After": "7"}, json={"error": {"code": "RATE_LIMITED"}}
    )
    client = make_client(Recorder(resp), max_retries=1)
    with pytest.raises(RateLimitError) as info:
        client.freshness.summary()
    assert info.value.retry_after == 7.0
    assert info.value.code == "RATE_LIMITED"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"error": "boom", "message": "string error"}, None, "string error"),
        (
            {"detail": [{"loc": ["query", "limit"], "msg": "too big"}]},
            "VALIDATION_ERROR",
            "too big",
        ),
        ({"success": False, "error": {}, "message": "wrapped"}, None, "wrapped"),
        ({"detail": "plain detail"}, None, "plain detail"),
    ],
)
def test_other_error_body_dialects(body: dict[str, object], code: str | None, message: str) -> None:
    client = make_client(Recorder(httpx.Response(400, json=body)))
    with pytest.raises(ValidationError) as info:
        client.freshness.summary()
    assert info.value.code == code
    assert message in str(info.value)


def test_html_success_page_is_response_format_error_naming_path_and_status() -> None:
    page = httpx.Response(
        200, text="<html><body>Login</body></html>", headers={"Content-Type": "text/html"}
    )
    client = make_client(Recorder(page))
    with pytest.raises(ResponseFormatError) as info:
        client.freshness.summary()
    text = str(info.value)
    assert "/sdk/freshness/summary" in text and "200" in text and "HTML" in text
    assert "ARMOR_API_URL" in text


def test_non_json_body_is_response_format_error() -> None:
    client = make_client(Recorder(httpx.Response(200, content=b"\x00\x01garbage")))
    with pytest.raises(ResponseFormatError, match="not JSON"):
        client.freshness.summary()


def test_html_error_page_adds_proxy_hint() -> None:
    client = make_client(Recorder(httpx.Response(404, text="<html>nginx</html>")))
    with pytest.raises(NotFoundError, match="HTML page"):
        client.freshness.get("a")


def test_wrong_shape_is_response_format_error_not_pydantic() -> None:
    body = {"data": {"status": "fresh", "last_updated": "not a date"}}
    client = make_client(Recorder(httpx.Response(200, json=body)))
    with pytest.raises(ResponseFormatError, match="last_updated"):
        client.freshness.get("a")
    client = make_client(Recorder(httpx.Response(200, json={"data": [1, 2]})))
    with pytest.raises(ResponseFormatError, match="JSON object"):
        client.freshness.get("a")


def test_oversized_response_is_refused() -> None:
    big = httpx.Response(200, content=b'{"data": "' + b"x" * 5000 + b'"}')
    client = make_client(Recorder(big), max_response_bytes=1000)
    with pytest.raises(ResponseFormatError, match="more than"):
        client.freshness.summary()


def test_redirect_is_not_followed() -> None:
    rec = Recorder(httpx.Response(302, headers={"Location": "https://evil.example/steal"}))
    client = make_client(rec)
    with pytest.raises(ResponseFormatError, match="redirect"):
        client.freshness.summary()
    assert [str(r.url.host) for r in rec.requests] == ["api.example.test"]


def test_connect_error_becomes_transport_error() -> None:
    rec = Recorder(httpx.ConnectError("connection refused"))
    client = make_client(rec, max_retries=2)
    with pytest.raises(TransportError) as info:
        client.freshness.summary()
    assert not isinstance(info.value, PlatformTimeout)
    assert "no answer" in str(info.value)
    assert len(rec.requests) == 3


def test_read_timeout_becomes_platform_timeout() -> None:
    clock = FakeClock()
    rec = Recorder(httpx.ReadTimeout("slow"))
    client = make_client(rec, clock=clock, max_retries=0)
    with pytest.raises(PlatformTimeout):
        client.freshness.summary()
