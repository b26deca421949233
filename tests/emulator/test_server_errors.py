"""What the emulator prints when a request goes wrong at the socket: a client that hangs up is
a debug line (no traceback on stderr); a real server error is one error line, with the
traceback at debug level only."""

from __future__ import annotations

import logging
import socket
import struct
import time

import httpx
import pytest

from dbt_armor.emulator import EmulatorServer

LOGGER = "dbt_armor.emulator"


def _records(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 5.0) -> list[str]:
    """Wait (the handler runs on its own thread) for log records mentioning ``text``."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r.levelname for r in caplog.records if text in r.getMessage()]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def _reset_after(port: int, payload: bytes) -> None:
    """Send ``payload`` then abort the connection with a TCP RST (SO_LINGER 0)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.sendall(payload)
    time.sleep(0.1)
    sock.close()


def test_client_reset_is_debug_only(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    # a body that never arrives: the server is reading it when the client resets
    head = b"POST /_emulator/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"
    _reset_after(emulator.port, head)
    assert _records(caplog, "went away") == ["DEBUG"]
    # a slow answer the client abandons: the server's write hits a reset connection
    caplog.clear()
    httpx.post(emulator.url + "/_emulator/faults", json={"match": "GET *", "drip_ms": 20})
    _reset_after(emulator.port, b"GET /api/v1/sdk/assets HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _records(caplog, "went away") == ["DEBUG"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err
    assert "BrokenPipeError" not in err
    assert httpx.get(emulator.url + "/_emulator/faults").status_code == 200  # still serving


def test_server_error_is_one_line_with_traceback_at_debug(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    bad_chunk = (
        b"POST /_emulator/reset HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\n{}\r\n0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.sendall(bad_chunk)
        assert sock.recv(100) == b""  # the server gave up on the request and closed
    assert _records(caplog, "emulator error serving") == ["ERROR", "DEBUG"]
    error, debug = [r for r in caplog.records if "emulator error serving" in r.getMessage()]
    assert "ValueError" in error.getMessage() and "\n" not in error.getMessage()
    assert error.exc_info is None and debug.exc_info is not None
    assert "Traceback" not in capfd.readouterr().err
    assert httpx.get(emulator.url + "/_emulator/faults").status_code == 200
