"""Execute a Plan against the platform: concurrent, paced by the client's limiter, crash-safe.

A create whose outcome is unknown (dropped connection, 5xx, 429 storm) is reconciled by listing
and looking for its key before it is ever sent again; copies made by a concurrent apply are
removed afterwards (sync.dedupe). Must not compute plans itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dbt_armor.api import ArmorClient
from dbt_armor.api.models import FreshnessScheduleCreate, ReferentialCheckCreate, ValidityRuleCreate
from dbt_armor.errors import ApiError, ApiStatusError, NotFoundError, PlanError, ServerError
from dbt_armor.sync.dedupe import SCHEDULE_FIELDS, remove_concurrent_copies
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.plan import Plan, fingerprint
from dbt_armor.sync.remote import list_rules, read_remote
from dbt_armor.sync.specs import Action, Change, Kind

CREATE_ATTEMPTS = 4
_CREATES = (Action.CREATE, Action.REPLACE)


class SyncApplyError(ApiError):
    """Some changes failed; the rest were applied. Rerunning `sync apply` converges."""


@dataclass
class ApplyResult:
    done: dict[str, int] = field(default_factory=lambda: {a.value: 0 for a in Action})
    reconciled: int = 0
    deduplicated: int = 0
    errors: list[tuple[Change, ApiError]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, action: Action) -> None:
        with self.lock:
            self.done[action.value] += 1


def check_fresh(client: ArmorClient, plan: Plan) -> None:
    """Refuse a saved plan when the managed remote state changed since it was computed."""
    paths = [(c.data_source, c.table_path) for c in plan.changes if c.kind is Kind.FRESHNESS]
    state = read_remote(client, plan.data_sources, paths)
    if fingerprint(state.items) != plan.remote_fingerprint:
        raise PlanError(
            "remote changed since plan was computed",
            hint="run `dbt-armor sync plan` again and review the new plan",
        )


class _Reconciler:
    """Looks a create up by key after an unknown outcome; one listing serves every failure that
    happened before it started."""

    def __init__(self, client: ArmorClient) -> None:
        self.client = client
        self.lock = threading.Lock()
        self.cache: dict[tuple[str, str], tuple[float, dict[tuple[str, str], set[str]]]] = {}

    def find(self, change: Change, failed_at: float) -> str | None:
        marker = parse_marker(str((change.payload or {}).get("description") or ""))
        if change.kind is Kind.FRESHNESS:
            return self._find_schedule(change)
        if marker is None:
            return None
        slot = (change.kind.value, change.data_source)
        with self.lock:
            cached = self.cache.get(slot)
            if cached is None or cached[0] <= failed_at:
                started = time.monotonic()
                index: dict[tuple[str, str], set[str]] = {}
                for item in list_rules(self.client, change.data_source):
                    if item.kind is change.kind and item.key is not None:
                        ident = (item.key, item.spec_hash or "")
                        index.setdefault(ident, set()).add(item.remote_id)
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


def _unknown_outcome(exc: ApiError) -> bool:
    """True when a POST may or may not have been committed (no definite 4xx answer)."""
    return (
        not isinstance(exc, ApiStatusError)
        or isinstance(exc, ServerError)
        or (exc.status_code == 429)
    )


class Applier:
    def __init__(self, client: ArmorClient, *, workers: int = 4) -> None:
        self.client = client
        self.workers = max(1, workers)
        self.reconciler = _Reconciler(client)
        self.uncertain = threading.Event()  # some create's outcome was unknown

    def run(
        self, changes: list[Change], on_done: Callable[[Change], None] | None = None
    ) -> ApplyResult:
        result = ApplyResult()

        def one(change: Change) -> None:
            try:
                self._apply(change, result)
                result.count(change.action)
            except ApiError as exc:
                with result.lock:
                    result.errors.append((change, exc))
            if on_done is not None:
                on_done(change)

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sync") as pool:
            list(pool.map(one, changes))
        failed = {id(change) for change, _ in result.errors}
        created = [c for c in changes if c.action in _CREATES and id(c) not in failed]
        if created:
            # A concurrent apply of the same project may have created the same keys, and a
            # create that timed out may still commit late: give it the client's timeout first.
            if self.uncertain.is_set():
                time.sleep(min(self.client.timeout, 10.0))
            try:
                result.deduplicated = remove_concurrent_copies(self.client, created)
            except ApiError as exc:
                result.errors.append((created[0], exc))
        return result

    def _apply(self, change: Change, result: ApplyResult) -> None:
        if change.action is Action.CREATE:
            self._create(change, result)
        elif change.action is Action.UPDATE:
            self._update(change)
        elif change.action is Action.REPLACE:
            self._create(change, result)
            self._delete(change)
        elif change.action is Action.DELETE:
            self._delete(change)

    def _create(self, change: Change, result: ApplyResult) -> None:
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                self._post(change)
                return
            except ApiError as exc:
                if not _unknown_outcome(exc) or attempt == CREATE_ATTEMPTS:
                    raise
                self.uncertain.set()
                failed_at = time.monotonic()
            if self.reconciler.find(change, failed_at) is not None:
                with result.lock:
                    result.reconciled += 1
                return
            time.sleep(min(0.2 * attempt, 1.0))

    def _post(self, change: Change) -> None:
        body: dict[str, Any] = dict(change.payload or {})
        if change.kind is Kind.VALIDITY:
            self.client.validity.create(change.data_source, ValidityRuleCreate(**body))
        elif change.kind is Kind.REFERENTIAL:
            self.client.referential.create(change.data_source, ReferentialCheckCreate(**body))
        else:
            self.client.freshness.create_schedule(FreshnessScheduleCreate(**body))

    def _update(self, change: Change) -> None:
        patch = dict(change.patch or {})
        rid = str(change.remote_id)
        if change.kind is Kind.VALIDITY:
            self.client.validity.update(change.data_source, rid, **patch)
        elif change.kind is Kind.REFERENTIAL:
            self.client.referential.update(change.data_source, rid, **patch)
        else:
            self.client.freshness.update_schedule(rid, **patch)

    def _delete(self, change: Change) -> None:
        rid = str(change.remote_id)
        try:
            if change.kind is Kind.VALIDITY:
                self.client.validity.delete(change.data_source, rid)
            elif change.kind is Kind.REFERENTIAL:
                self.client.referential.delete(change.data_source, rid)
            else:
                self.client.freshness.delete_schedule(rid)
        except NotFoundError:
            return  # already gone (an earlier attempt went through): the goal is reached


def raise_for_errors(result: ApplyResult, total: int) -> None:
    if not result.errors:
        return
    change, first = result.errors[0]
    error = SyncApplyError(
        f"{len(result.errors)} of {total} changes failed; first: {change.action.value} "
        f"{change.key}: {first.message}",
        hint="fix the cause and run `dbt-armor sync apply` again (it converges)",
        status_code=first.status_code,
        code=first.code,
    )
    error.exit_code = first.exit_code
    raise error
