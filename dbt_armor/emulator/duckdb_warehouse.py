"""DuckDB warehouse backend. Probes read a private snapshot copy of the file (and its WAL),
taken again whenever the file changes, so the emulator never holds a lock on the warehouse
and a dbt run starting at any moment can open it for writing. duckdb is imported lazily.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from dbt_armor.emulator.sqldialect import DUCKDB
from dbt_armor.emulator.warehouse import Conn, Warehouse, WarehouseError, first_line

COPY_TRIES = 6
COPY_DELAY = 0.05  # seconds; the n-th retry waits n times this (bounded: ~1 s in all)

Stamp = tuple[tuple[int, int] | None, tuple[int, int] | None]


class _Changed(Exception):
    """The file changed while it was being copied: the copy may be torn."""


class _DuckConn:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, list(params)).fetchall())


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _stamp(path: Path) -> Stamp:
    """(size, mtime) of the file and of its WAL; None for a missing one."""

    def one(p: Path) -> tuple[int, int] | None:
        try:
            st = p.stat()
        except FileNotFoundError:
            return None
        return (st.st_size, st.st_mtime_ns)

    return one(path), one(_wal(path))


class DuckDBWarehouse(Warehouse):
    """Read-only probes of one DuckDB file, through a snapshot; probes run one at a time."""

    dialect = DUCKDB

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.snapshots = 0  # snapshots taken so far (a new one only after the file changed)
        self._lock = threading.Lock()
        self._dir: Path | None = None
        self._stamp: Stamp | None = None
        self._conn: Any = None

    def describe(self) -> str:
        return str(self.path)

    @contextmanager
    def _open(self) -> Iterator[Conn]:
        with self._lock:
            yield _DuckConn(self._current())

    def close(self) -> None:
        """Close the snapshot connection and delete the snapshot."""
        with self._lock:
            self._drop()
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None

    def _current(self) -> Any:
        """The connection to an up-to-date snapshot, retaking it with a bounded backoff while
        the file is being written."""
        last: BaseException | None = None
        for attempt in range(COPY_TRIES):
            stamp = _stamp(self.path)
            if stamp[0] is None:
                raise WarehouseError(f"warehouse file {self.path} does not exist")
            if self._conn is not None and stamp == self._stamp:
                return self._conn
            try:
                return self._snapshot(stamp)
            except Exception as exc:  # a torn or half-written copy: wait and copy again
                last = exc
                self._drop()
                time.sleep(COPY_DELAY * (attempt + 1))
        detail = first_line(last) if last else "no snapshot"
        raise WarehouseError(f"warehouse {self.path.name} is unavailable: {detail}")

    def _snapshot(self, stamp: Stamp) -> Any:
        import duckdb

        self._drop()
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="armor-wh-"))
            # an App dropped without close() still deletes its snapshot
            weakref.finalize(self, shutil.rmtree, self._dir, True)
        copy = self._dir / "snapshot.duckdb"
        copy.unlink(missing_ok=True)
        _wal(copy).unlink(missing_ok=True)
        shutil.copyfile(self.path, copy)
        if stamp[1] is not None:
            with suppress(FileNotFoundError):  # checkpointed meanwhile: the check below retries
                shutil.copyfile(_wal(self.path), _wal(copy))
        if _stamp(self.path) != stamp:
            raise _Changed("the warehouse file changed while it was copied")
        self._conn = duckdb.connect(str(copy), read_only=True)
        self._stamp = stamp
        self.snapshots += 1
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn, self._stamp = None, None
