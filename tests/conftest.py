"""Shared fixtures: one emulator per test session on a free loopback port, reset per test.

Fixtures here start real servers only on 127.0.0.1.
"""

from __future__ import annotations

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
