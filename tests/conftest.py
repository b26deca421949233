"""Shared fixtures: one emulator per test session on a free loopback port, reset per test.

Fixtures here start real servers only on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READONLY_KEY, DEFAULT_READWRITE_KEY


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    """The session's emulator (seed dialect, default keys, no warehouse)."""
    server = EmulatorServer(EmulatorConfig(port=0, dialect="seed", seed=42)).start()
    yield server
    server.stop()


@pytest.fixture()
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session emulator with state, faults, rate-limit windows and request log reset."""
    emulator_server.app.reset()
    emulator_server.app.dialect = "seed"
    yield emulator_server
    emulator_server.app.reset()
    emulator_server.app.dialect = "seed"


@pytest.fixture()
def api_key() -> str:
    return DEFAULT_READWRITE_KEY


@pytest.fixture()
def readonly_key() -> str:
    return DEFAULT_READONLY_KEY


@pytest.fixture()
def client(emulator: EmulatorServer, api_key: str) -> Iterator[Any]:
    """An ArmorClient against the reset emulator."""
    from dbt_armor.api import ArmorClient

    with ArmorClient(api_key=api_key, base_url=emulator.url + "/api/v1") as c:
        yield c


class DecodeCounter:
    """Counts the manifest decodes of the one manifest reader made by the test's own thread
    (the in-process emulator decodes uploads on its server threads: that is the platform)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0
        self.thread = threading.get_ident()

    def decode(self, data: Any) -> Any:
        if threading.get_ident() == self.thread:
            self.calls += 1
        return self.inner.decode(data)


@pytest.fixture()
def manifest_decodes(monkeypatch: pytest.MonkeyPatch) -> DecodeCounter:
    """Every decode of manifest bytes goes through ``project.manifest._DECODER``: count them."""
    from dbt_armor.project import manifest

    counter = DecodeCounter(manifest._DECODER)
    monkeypatch.setattr(manifest, "_DECODER", counter)
    return counter
