"""The emulator application: routing, auth, rate limits and the request log, independent of
sockets (server.py feeds it parsed requests and carries out faults).

Never logs or returns an API key.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from dbt_armor.emulator.auth import AuthFailure, authenticate, authorize, required_scope
from dbt_armor.emulator.config import ApiKey, EmulatorConfig
from dbt_armor.emulator.faults import FaultSet
from dbt_armor.emulator.ratelimit import KeyRateLimiter
from dbt_armor.emulator.routes import api_router, control_router
from dbt_armor.emulator.routes.base import ApiFailure, Request, Response
from dbt_armor.emulator.state import State
from dbt_armor.emulator.store import SqliteStore
from dbt_armor.emulator.warehouse import open_warehouse

API_PREFIX = ["api", "v1"]


class App:
    """Everything behind the socket. Thread-safe: state and limiter carry their own locks."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.dialect = config.dialect
        store = SqliteStore(config.state_file) if config.state_file else None
        self.state = State(config.seed, config.clock, store, config.state_flush_seconds)
        self.keys: dict[str, ApiKey] = {k.key: k for k in config.keys}
        self.limiter = KeyRateLimiter(enabled=config.rate_limits)
        self.faults = FaultSet()
        self.warehouse = open_warehouse(config.warehouse) if config.warehouse else None
        self.fresh_cache: dict[str, tuple[float, datetime | None, str | None]] = {}
        self._log: deque[dict[str, Any]] = deque(maxlen=config.request_log_size)
        self._log_lock = threading.Lock()

    # ------------------------------------------------------------------ housekeeping
    def reset(self) -> None:
        self.state.reset()
        self.faults.clear()
        self.limiter.reset()
        self.fresh_cache.clear()
        self.clear_request_log()

    def log_request(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            self._log.append(entry)

    def request_log(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def limit_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """X-RateLimit-* figures for the request's key without consuming (injected answers)."""
        token = headers.get("Authorization", "").partition(" ")[2].strip()
        key = self.keys.get(token)
        verdict = self.limiter.peek(
            key.key if key else "(unauthenticated)", key.tier if key else "enterprise"
        )
        return verdict.headers()

    # ------------------------------------------------------------------ dispatch
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        """Answer one request; every error becomes a well-formed envelope."""
        parts = urlsplit(target)
        raw = [s for s in parts.path.split("/") if s]
        segments = [unquote(s) for s in raw]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            if segments[:1] == ["_emulator"]:
                return self._dispatch(control_router, method, segments[1:], query, headers, body)
            if segments[:2] == API_PREFIX:
                segments = segments[2:]
            return self._api(method, segments, query, headers, body)
        except ApiFailure as exc:
            return exc.response()
        except Exception as exc:  # a bug must still answer with the documented envelope
            err = ApiFailure(500, "INTERNAL_ERROR", f"emulator error: {type(exc).__name__}")
            return err.response()

    def _api(
        self,
        method: str,
        segments: list[str],
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> Response:
        try:
            key = authenticate(headers, self.keys)
        except AuthFailure as exc:
            resp = Response(exc.status, exc.body)
            anon = self.limiter.check("(unauthenticated)", "enterprise")
            resp.headers.update({k: v for k, v in anon.headers().items() if k != "Retry-After"})
            return resp
        verdict = self.limiter.check(key.key, key.tier)
        if not verdict.allowed:
            err = ApiFailure(
                429, "RATE_LIMITED", "Rate limit exceeded", retry_after=verdict.retry_after
            )
            resp = err.response()
            resp.headers.update(verdict.headers())
            return resp
        try:
            authorize(key, required_scope(method, segments))
            resp = self._dispatch(api_router, method, segments, query, headers, body, key)
        except AuthFailure as exc:
            resp = Response(exc.status, exc.body)
        except ApiFailure as exc:
            resp = exc.response()
        resp.headers.update(verdict.headers())
        return resp

    def _dispatch(
        self,
        router: Any,
        method: str,
        segments: list[str],
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        key: ApiKey | None = None,
    ) -> Response:
        found = router.match(method, segments)
        if found is None:
            path = "/" + "/".join(segments)
            raise ApiFailure(404, "NOT_FOUND", f"no route for {method} {path}", path=path)
        handler, params = found
        req = Request(method, segments, query, headers, body, key)
        started = time.monotonic()
        resp: Response = handler(self, req, params)
        resp.headers.setdefault(
            "X-Emulator-Handler-Ms", f"{(time.monotonic() - started) * 1000:.1f}"
        )
        return resp
