"""SQLite persistence for the emulator state: whole-state JSON blobs, one row per collection.

Owns the file format only; callers take a consistent snapshot (``encode``) under their lock.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

_SCHEMA = "CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, body TEXT NOT NULL)"


class SqliteStore:
    """Saves and loads a dict of JSON-serialisable collections in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False)
        self._conn.execute(_SCHEMA)
        self._conn.commit()

    def load(self) -> dict[str, Any]:
        rows = self._conn.execute("SELECT name, body FROM blobs").fetchall()
        return {name: json.loads(body) for name, body in rows}

    @staticmethod
    def encode(data: dict[str, Any]) -> list[tuple[str, str]]:
        """One (name, JSON) row per collection: a snapshot that no later change can alter."""
        return [
            (name, json.dumps(value, separators=(",", ":"), default=str))
            for name, value in data.items()
        ]

    def write(self, rows: list[tuple[str, str]]) -> None:
        """Replace the whole file content with ``rows`` in one transaction."""
        with self._conn:
            self._conn.execute("DELETE FROM blobs")
            self._conn.executemany("INSERT OR REPLACE INTO blobs(name, body) VALUES (?, ?)", rows)

    def save(self, data: dict[str, Any]) -> None:
        self.write(self.encode(data))

    def close(self) -> None:
        self._conn.close()
