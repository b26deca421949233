"""Shared fixtures: one emulator per test session on a free loopback port, reset per test, and
one seeded and built copy of integration_project per session.

Fixtures here start real servers only on 127.0.0.1.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READONLY_KEY, DEFAULT_READWRITE_KEY

if TYPE_CHECKING:
    from project_copy import DbtProject

# project_copy and shop (copies of integration_project, the emulator beside them) serve the
# e2e, integration, orchestrator and PostgreSQL tests alike
sys.path.insert(0, str(Path(__file__).resolve().parent / "e2e"))


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


@pytest.fixture(scope="session")
def dbt_project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    """integration_project copied, deps installed, seeded and its models/snapshot built once
    (target/manifest.json included). Shared by every test that only reads it; a test that
    changes it (or parses it again) takes ``.clone()``, which keeps the packages and target/.
    """
    from project_copy import copy_project

    project = copy_project(tmp_path_factory.mktemp("armor_shop") / "armor_shop")
    project.dbt("deps")
    project.dbt("seed")  # the raw tables: sources do not depend on seeds in dbt's graph
    project.dbt(
        "build", "--exclude", "resource_type:test", "resource_type:unit_test", "resource_type:seed"
    )
    return project
