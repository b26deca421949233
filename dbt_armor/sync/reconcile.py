"""Find out whether a create whose answer was lost took effect, by listing and looking for it.

Owns the lookup (by marker key and spec hash; schedules by table and definition) and sharing one
listing between failures; it must not create or delete anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from dbt_armor.api import ArmorClient
from dbt_armor.sync.dedupe import SCHEDULE_FIELDS
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.remote import list_rules
from dbt_armor.sync.specs import Change, Kind

Index = dict[tuple[str, str], set[str]]


class Reconciler:
    """One listing per (kind, data source) serves every failure that happened before it
    started; a later failure triggers a new one."""

    def __init__(self, client: ArmorClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self.lock = threading.Lock()
        self.cache: dict[tuple[str, str], tuple[float, Index]] = {}

    def find(self, change: Change, since: float) -> str | None:
        """The id of an object the create made, from a listing started after ``since``."""
        if change.kind is Kind.FRESHNESS:
            return self._find_schedule(change)
        marker = parse_marker(str((change.payload or {}).get("description") or ""))
        if marker is None:
            return None
        slot = (change.kind.value, change.data_source)
        with self.lock:
            cached = self.cache.get(slot)
            if cached is None or cached[0] <= since:
                started = self.clock()
                index: Index = {}
                for item in list_rules(self.client, change.data_source):
                    if item.kind is change.kind and item.key is not None:
                        index.setdefault((item.key, item.spec_hash or ""), set()).add(
                            item.remote_id
                        )
                cached = (started, index)
                self.cache[slot] = cached
        ids = cached[1].get((marker.key, marker.spec_hash), set()) - {change.remote_id}
        return min(ids) if ids else None

    def _find_schedule(self, change: Change) -> str | None:
        """A schedule as the payload describes, other than the one a replace is removing (the
        path alone would match that one, or a copy that does not follow dbt)."""
        body = change.payload or {}
        for sched in self.client.freshness.iter_schedules(asset_id=change.data_source):
            if (
                sched.id != change.remote_id
                and sched.table_path.lower() == change.table_path.lower()
                and all(getattr(sched, f) == body.get(f) for f in SCHEDULE_FIELDS)
            ):
                return sched.id
        return None
