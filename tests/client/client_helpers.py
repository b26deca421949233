"""Shared helpers for client tests: a fake clock and a MockTransport-backed client factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from dbt_armor.api import ArmorClient

KEY = "aa_test_k8jd92hf8j2hd98fh2d9h2f98h2d9SECR"
BASE = "https://api.example.test/api/v1"


class FakeClock:
    """Monotonic + wall clock that only moves when ``sleep`` is called."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, clock: FakeClock | None = None, **kwargs: Any) -> ArmorClient:
    clock = clock or FakeClock()
    kwargs.setdefault("api_key", KEY)
    return ArmorClient(
        base_url=kwargs.pop("base_url", BASE),
        transport=httpx.MockTransport(handler),
        clock=clock.monotonic,
        wall=clock.wall,
        sleep=clock.sleep,
        **kwargs,
    )


def error(status: int, code: str, message: str, **details: Any) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "details": details}}
    return httpx.Response(status, json=body)


class Recorder:
    """A handler that answers from a queue of responses (last one repeats) and records requests."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item
