"""The socket side: a stdlib ThreadingHTTPServer bound to 127.0.0.1 that feeds App and carries
out injected faults (latency, error pages, dropped connections, malformed, large or slow bodies).

Never binds a non-loopback address; never logs an Authorization header.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from dbt_armor.emulator.app import App
from dbt_armor.emulator.config import EmulatorConfig
from dbt_armor.emulator.faults import Fault
from dbt_armor.emulator.routes.base import ApiFailure, Response
from dbt_armor.emulator.scheduler import CheckScheduler
from dbt_armor.emulator.state import State

log = logging.getLogger("dbt_armor.emulator")
HOST = "127.0.0.1"
# A client that hangs up mid-request is the client's business, not a server error.
CLIENT_GONE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)
HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, port: int, app: App) -> None:
        self.app = app
        super().__init__((HOST, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Replace socketserver's traceback on stderr: a client hang-up is logged at debug
        level only; anything else as one error line, with the traceback at debug level."""
        exc = sys.exc_info()[1]
        if isinstance(exc, CLIENT_GONE):
            log.debug("client %s went away: %s", client_address, type(exc).__name__)
            return
        log.error("emulator error serving %s: %s: %s", client_address, type(exc).__name__, exc)
        log.debug("emulator error serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one response = headers + body; avoid delayed-ACK stalls
    server: _Server
    server_version = "armor-emulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the app keeps its own log
        return

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        app = self.server.app
        started = time.monotonic()
        body = self._body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        headers["Authorization"] = headers.pop("authorization", "")
        path = urlsplit(self.path).path
        fault = None if path.startswith("/_emulator") else app.faults.take(self.command, path)
        entry: dict[str, Any] = {
            "method": self.command,
            "path": path,
            "query": urlsplit(self.path).query,
            "ts": time.time(),
        }
        if fault is not None:
            entry["fault"] = fault.describe()["match"]
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000.0)
        if fault is not None and fault.drop_before_commit:
            self._drop(app, entry, started)
            return
        if fault is not None and (fault.status or fault.html) and not fault.drop_after_commit:
            resp = _fault_response(fault)
            if not fault.html:
                limits = app.limit_headers(headers)
                resp.headers.update({k: v for k, v in limits.items() if k not in resp.headers})
        else:
            resp = app.handle(self.command, self.path, headers, body)
        if fault is not None and fault.drop_after_commit:
            self._drop(app, entry, started)
            return
        # Logged before the answer leaves, so a client that reads the log next always sees it.
        entry.update(status=resp.status, duration_ms=round((time.monotonic() - started) * 1000, 3))
        app.log_request(entry)
        self._send(resp, fault)

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _drop(self, app: App, entry: dict[str, Any], started: float) -> None:
        entry.update(
            status=0, dropped=True, duration_ms=round((time.monotonic() - started) * 1000, 3)
        )
        app.log_request(entry)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, resp: Response, fault: Fault | None) -> None:
        payload = resp.raw
        if payload is None:
            body = resp.body
            if fault is not None and fault.large_bytes and isinstance(body, dict):
                body = {**body, "padding": "x" * fault.large_bytes}
            payload = json.dumps(body, separators=(",", ":"), default=str).encode()
        if fault is not None and fault.malformed_json:
            payload = payload[: max(len(payload) // 2, 1)] + b"\x00{"
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault is not None and fault.drip_ms:
            for i in range(0, len(payload), 64):
                self.wfile.write(payload[i : i + 64])
                self.wfile.flush()
                time.sleep(fault.drip_ms / 1000.0)
        else:
            self.wfile.write(payload)


def _fault_response(fault: Fault) -> Response:
    status = int(fault.status or 502)
    if fault.html:
        return Response(status, raw=HTML_PAGE, content_type="text/html; charset=utf-8")
    if status == 429:
        resp = ApiFailure(429, "RATE_LIMITED", "Rate limit exceeded").response()
        if fault.retry_after_date:
            text = str(fault.retry_after_date)
            resp.headers["Retry-After"] = (
                formatdate(time.time() + int(text), usegmt=True) if text.isdigit() else text
            )
        else:
            resp.headers["Retry-After"] = str(
                fault.retry_after if fault.retry_after is not None else 1
            )
        return resp
    code = "INTERNAL_ERROR" if status >= 500 else "INJECTED_FAULT"
    return ApiFailure(status, code, f"injected fault ({status})").response()


class EmulatorServer:
    """A running (or startable) emulator. ``start()`` serves on a daemon thread."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.app = App(self.config)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        interval = self.config.check_interval
        self.scheduler = CheckScheduler(self.app, interval) if interval else None

    @property
    def state(self) -> State:
        return self.app.state

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator is not started: call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1"

    def start(self) -> EmulatorServer:
        if self._server is None:
            self._server = _Server(self.config.port, self.app)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="armor-emulator",
                daemon=True,
            )
            self._thread.start()
            if self.scheduler is not None:
                self.scheduler.start()
        return self

    def stop(self) -> None:
        """Stop the scheduled checks, the listener and its thread, then save and close state."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.app.warehouse is not None:
            self.app.warehouse.close()
        self.app.state.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
