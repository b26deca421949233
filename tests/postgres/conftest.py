"""PostgreSQL fixtures: one private cluster per test session (scripts/pg_cluster.py), a fresh
database per test module. Every test here carries the `postgres` marker and runs only when
selected with `-m postgres` (`make test-postgres`); without PostgreSQL binaries it skips."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))  # project_copy, shop
sys.path.insert(0, str(REPO_ROOT / "tests" / "emulator"))  # warehouse_cases

import pg_cluster  # noqa: E402

try:  # the `postgres` extra (make test-postgres installs it); without it nothing here is collected
    import psycopg2  # noqa: F401
except ImportError:
    collect_ignore_glob = ["test_*.py"]

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = "postgres" in (config.getoption("markexpr", "") or "")
    skip = pytest.mark.skip(reason="PostgreSQL tests run with `make test-postgres` (-m postgres)")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.postgres)
            if not selected:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg_cluster.Cluster]:
    """A private PostgreSQL cluster on a loopback port, stopped and deleted at the end."""
    if pg_cluster.find_bindir() is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql)")
    with pg_cluster.cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def make_database(pg_server: pg_cluster.Cluster) -> Callable[[str], str]:
    """Create an empty database on the session cluster; returns its postgresql:// URL."""
    import psycopg2

    def create(name: str) -> str:
        conn = psycopg2.connect(pg_server.dsn)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return pg_server.dsn.rsplit("/", 1)[0] + "/" + name

    return create
