"""In-memory emulator state (data sources, tables, rules, checks, results, jobs, lineage).

Owns storage, deterministic ids and asset resolution; HTTP shapes live in routes/dialect.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from dbt_armor.emulator.store import SqliteStore

Record = dict[str, Any]
COLLECTIONS = (
    "data_sources",
    "tables",
    "validity",
    "referential",
    "validity_results",
    "referential_results",
    "schedules",
    "jobs",
    "lineage_nodes",
    "lineage_edges",
    "overrides",
    "history",
    "outcomes",
    "counters",
)


def iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


class State:
    """All emulator data, guarded by one re-entrant lock; with a store, changes are written
    in batches (at most every ``flush_seconds``) and on ``close()``."""

    def __init__(
        self,
        seed: int,
        clock: Callable[[], datetime],
        store: SqliteStore | None = None,
        flush_seconds: float = 0.2,
    ) -> None:
        self.lock = threading.RLock()
        self.flush_seconds = flush_seconds
        self._flush_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._dirty = False
        self._closed = False
        self.clock = clock
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"dbt-armor-emulator:{seed}")
        self.store = store
        self.data: dict[str, dict[str, Any]] = {name: {} for name in COLLECTIONS}
        self._names: dict[str, tuple[str, str]] = {}
        if store is not None:
            loaded = store.load()
            for name in COLLECTIONS:
                self.data[name] = loaded.get(name, {})
            self._reindex()

    # ------------------------------------------------------------------ plumbing
    def __getattr__(self, name: str) -> dict[str, Any]:
        if name in COLLECTIONS:
            return self.__dict__["data"][name]  # type: ignore[no-any-return]
        raise AttributeError(name)

    @contextmanager
    def mutate(self) -> Iterator[State]:
        """Hold the lock for a change; with a store, have it saved within ``flush_seconds``."""
        with self.lock:
            yield self
            if self.store is not None and not self._closed:
                self._dirty = True
                if self.flush_seconds <= 0:  # write-through: every change, under the lock
                    self._dirty = False
                    self.store.save(self.data)
                elif self._timer is None:
                    self._timer = threading.Timer(self.flush_seconds, self._timed_flush)
                    self._timer.daemon = True
                    self._timer.start()

    def _timed_flush(self) -> None:
        with self.lock:
            self._timer = None  # a change from now on schedules the next write
        self.flush()

    def flush(self) -> None:
        """Write the state now if it changed since the last write (snapshot under the lock)."""
        if self.store is None:
            return
        with self._flush_lock:
            with self.lock:
                if not self._dirty or self._closed:
                    return
                rows = self.store.encode(self.data)
                self._dirty = False
            self.store.write(rows)

    def close(self) -> None:
        """Save pending changes and close the store; later changes stay in memory only."""
        with self.lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()
        with self._flush_lock, self.lock:
            if self.store is not None and not self._closed:
                self._closed = True
                self.store.close()

    def reset(self) -> None:
        with self.mutate():
            for name in COLLECTIONS:
                self.data[name] = {}
            self._names.clear()

    def now(self) -> datetime:
        return self.clock()

    def next_int(self, kind: str) -> int:
        with self.lock:
            n = int(self.counters.get(kind, 0)) + 1
            self.counters[kind] = n
            return n

    def new_uuid(self, kind: str) -> str:
        return str(uuid.uuid5(self.namespace, f"{kind}:{self.next_int(kind)}"))

    def name_uuid(self, name: str) -> str:
        return str(uuid.uuid5(self.namespace, name))

    def _reindex(self) -> None:
        self._names = {}
        for ds in self.data_sources.values():
            self._names[ds["name"].lower()] = ("data_source", ds["id"])
        for t in self.tables.values():
            self._names[t["qualified_name"].lower()] = ("table", t["id"])

    # ------------------------------------------------------------------ assets
    def add_data_source(self, name: str, source_type: str = "duckdb") -> Record:
        with self.mutate():
            key = name.lower()
            found = self._names.get(key)
            if found and found[0] == "data_source":
                return self.data_sources[found[1]]  # type: ignore[no-any-return]
            ts = iso(self.now())
            ds = {
                "id": self.name_uuid(f"ds:{key}"),
                "name": name,
                "qualified_name": name,
                "source_type": source_type,
                "created_at": ts,
                "updated_at": ts,
            }
            self.data_sources[str(ds["id"])] = ds
            self._names[key] = ("data_source", str(ds["id"]))
            return ds

    def add_table(
        self, data_source: str, database: str, schema: str, name: str, **extra: Any
    ) -> Record:
        """Register (or update) a table; returns its record. ``extra`` fields are stored."""
        with self.mutate():
            ds = self.add_data_source(data_source)
            qn = ".".join([ds["name"], database, schema, name])
            found = self._names.get(qn.lower())
            if found and found[0] == "table":
                table: Record = self.tables[found[1]]
                table.update({k: v for k, v in extra.items() if v is not None})
                table["updated_at"] = iso(self.now())
                return table
            ts = iso(self.now())
            table = {
                "id": self.name_uuid(f"table:{qn.lower()}"),
                "qualified_name": qn,
                "name": name,
                "database": database,
                "schema": schema,
                "source": ds["name"],
                "data_source_id": ds["id"],
                "asset_type": "table",
                "freshness_column": None,
                "threshold_hours": None,
                "description": None,
                "created_at": ts,
                "updated_at": ts,
            }
            table.update({k: v for k, v in extra.items() if v is not None})
            self.tables[table["id"]] = table
            self._names[qn.lower()] = ("table", table["id"])
            return table

    def resolve(self, asset_id: str) -> tuple[str, Record] | None:
        """Find a table or data source by UUID or qualified name (case-insensitive)."""
        with self.lock:
            if asset_id in self.tables:
                return "table", self.tables[asset_id]
            if asset_id in self.data_sources:
                return "data_source", self.data_sources[asset_id]
            found = self._names.get(asset_id.lower())
            if found is None:
                return None
            kind, rid = found
            coll = self.tables if kind == "table" else self.data_sources
            return kind, coll[rid]

    def tables_of(self, ds_id: str) -> list[Record]:
        with self.lock:
            return [t for t in self.tables.values() if t["data_source_id"] == ds_id]

    def match_table(self, ds_id: str, table_path: str) -> Record | None:
        """Match ``table_path`` against the data source's tables on their last 1–3 segments."""
        wanted = [p.lower() for p in table_path.split(".") if p]
        if not wanted or len(wanted) > 4:
            return None
        hits = []
        for t in self.tables_of(ds_id):
            parts = [t["source"], t["database"], t["schema"], t["name"]]
            if [p.lower() for p in parts[-len(wanted) :]] == wanted:
                hits.append(t)
        return hits[0] if len(hits) == 1 else None
