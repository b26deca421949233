"""Execute a Plan against the platform: concurrent, paced by the client's limiter, crash-safe,
within a total time budget.

A create whose outcome is unknown is reconciled (sync.reconcile) before it is ever sent again,
after waiting as long as an unanswered request could still commit; copies made by a concurrent
apply are removed afterwards (sync.dedupe). A refused key, a platform that keeps answering 429
or a spent budget stops every further write. Must not compute plans itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dbt_armor.api import ArmorClient
from dbt_armor.api.models import FreshnessScheduleCreate, ReferentialCheckCreate, ValidityRuleCreate
from dbt_armor.errors import (
    ApiError,
    ApiStatusError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    PlanError,
    RateLimitError,
    ServerError,
    TransportError,
)
from dbt_armor.sync.dedupe import remove_concurrent_copies
from dbt_armor.sync.plan import Plan, fingerprint
from dbt_armor.sync.reconcile import Reconciler
from dbt_armor.sync.remote import read_remote
from dbt_armor.sync.result import ApplyResult
from dbt_armor.sync.specs import Action, Change, Kind

CREATE_ATTEMPTS = 4
DEFAULT_BUDGET = 900.0  # seconds: a whole apply, reads and waits included
_CREATES = (Action.CREATE, Action.REPLACE)


def check_fresh(client: ArmorClient, plan: Plan) -> None:
    """Refuse a saved plan when the managed remote state changed since it was computed."""
    paths = [(c.data_source, c.table_path) for c in plan.changes if c.kind is Kind.FRESHNESS]
    state = read_remote(client, plan.data_sources, paths)
    if fingerprint(state.items) != plan.remote_fingerprint:
        raise PlanError(
            "remote changed since plan was computed",
            hint="run `dbt-armor sync plan` again and review the new plan",
        )


class _Stopped(Exception):
    """Writes have stopped: this change was not attempted."""


def _unknown_outcome(exc: ApiError) -> bool:
    """True when a POST may or may not have been committed: no answer, or a 5xx. A 429 is a
    definite "not processed"."""
    return not isinstance(exc, ApiStatusError) or isinstance(exc, ServerError)


def _stop_reason(exc: ApiError) -> str | None:
    if isinstance(exc, ForbiddenError):
        needed = exc.required_scope or "read-write"
        return f"the API key's scope {exc.current_scope or '?'} may not write; {needed} needed"
    if isinstance(exc, AuthenticationError):
        return "the API key was refused"
    if isinstance(exc, RateLimitError):
        return "the platform kept answering 429"
    return None


class Applier:
    def __init__(
        self,
        client: ArmorClient,
        *,
        workers: int = 4,
        budget: float = DEFAULT_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.workers = max(1, workers)
        self.budget = budget
        self.clock, self.sleep = clock, sleep
        self.reconciler = Reconciler(client, clock)
        self.deadline = 0.0
        self.lock = threading.Lock()
        self.stopped: str | None = None
        self.probed = False  # the first write was handed out
        self.first_answer = threading.Event()  # ... and has its answer

    def run(
        self, changes: Sequence[Change], on_done: Callable[[Change], None] | None = None
    ) -> ApplyResult:
        result = ApplyResult()
        self.deadline = self.clock() + self.budget
        self.client.set_deadline(self.deadline)  # no request outlives the budget

        def one(change: Change) -> None:
            self._one(change, result)
            if on_done is not None:
                on_done(change)

        try:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sync") as pool:
                list(pool.map(one, changes))
            if self.stopped is None:
                self._clean_up(changes, result)
        finally:
            self.client.set_deadline(None)
        result.stopped = self.stopped
        return result

    def _one(self, change: Change, result: ApplyResult) -> None:
        try:
            if self._apply(change, result):
                result.count(change.action)
        except _Stopped:
            result.skip(change)
        except ApiError as exc:
            result.fail(change, exc)
            if self.clock() >= self.deadline:
                self._stop(self._budget_text())

    def _budget_text(self) -> str:
        return f"the {self.budget:g} s apply budget ran out"

    def _stop(self, reason: str) -> None:
        with self.lock:
            self.stopped = self.stopped or reason

    def _gate(self) -> bool:
        """Raise _Stopped when no further write may be issued. The first write goes alone
        (True: the caller is that probe): a key that may not write stops after one write."""
        with self.lock:
            probe, self.probed = not self.probed, True
        if not probe:
            self.first_answer.wait(max(0.0, self.deadline - self.clock()))
        if self.stopped is None and self.clock() >= self.deadline:
            self._stop(self._budget_text())
        if self.stopped is not None:
            if probe:
                self.first_answer.set()
            raise _Stopped
        return probe

    def _write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """One write call, after the gate; a refusal that no retry can cure stops all writes."""
        probe = self._gate()
        try:
            fn(*args, **kwargs)
        except ApiError as exc:
            reason = _stop_reason(exc)
            if reason is not None:
                self._stop(reason)
            raise
        finally:
            if probe:
                self.first_answer.set()

    def _clean_up(self, changes: Sequence[Change], result: ApplyResult) -> None:
        left = {id(c) for c, _ in result.errors} | {id(c) for c in result.not_done}
        created = [c for c in changes if c.action in _CREATES and id(c) not in left]
        if not created:
            return
        try:
            result.cleaned_up = remove_concurrent_copies(self.client, created)
        except ApiError as exc:
            result.fail(created[0], exc)

    def _apply(self, change: Change, result: ApplyResult) -> bool:
        """Carry out one change; False when a create turned out to be done already."""
        if change.action is Action.CREATE:
            return not self._create(change, result)
        if change.action is Action.UPDATE:
            self._update(change)
        elif change.action is Action.REPLACE:
            self._create(change, result)
            self._delete(change)
        elif change.action is Action.DELETE:
            self._delete(change)
        return True

    def _create(self, change: Change, result: ApplyResult) -> bool:
        """POST the change; True when it was found on the platform after a lost answer."""
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                self._post(change)
                return False
            except ApiError as exc:
                if not _unknown_outcome(exc) or attempt == CREATE_ATTEMPTS:
                    raise
                failed_at = self.clock()
                unanswered = isinstance(exc, TransportError)
            if self._landed(change, failed_at, unanswered):
                result.add_reconciled()
                return True
            self.sleep(min(0.2 * attempt, 1.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def _landed(self, change: Change, failed_at: float, unanswered: bool) -> bool:
        """Did the lost create commit? Look at once; a request that got no answer may still be
        committed until the client's timeout has passed again, so wait that long (within the
        budget) and look once more before it may be sent again."""
        if self.reconciler.find(change, failed_at) is not None:
            return True
        if not unanswered:
            return False  # the server answered (5xx): nothing of it is still on its way
        until = failed_at + self.client.timeout
        self.sleep(max(0.0, min(until, self.deadline) - self.clock()))
        if self.reconciler.find(change, self.clock()) is not None:
            return True
        if until > self.deadline:  # not known, and no time left to wait: never resend blind
            self._stop(self._budget_text())
            raise _Stopped
        return False

    def _post(self, change: Change) -> None:
        body: dict[str, Any] = dict(change.payload or {})
        if change.kind is Kind.VALIDITY:
            self._write(self.client.validity.create, change.data_source, ValidityRuleCreate(**body))
        elif change.kind is Kind.REFERENTIAL:
            spec = ReferentialCheckCreate(**body)
            self._write(self.client.referential.create, change.data_source, spec)
        else:
            self._write(self.client.freshness.create_schedule, FreshnessScheduleCreate(**body))

    def _update(self, change: Change) -> None:
        patch = dict(change.patch or {})
        rid = str(change.remote_id)
        if change.kind is Kind.VALIDITY:
            self._write(self.client.validity.update, change.data_source, rid, **patch)
        elif change.kind is Kind.REFERENTIAL:
            self._write(self.client.referential.update, change.data_source, rid, **patch)
        else:
            self._write(self.client.freshness.update_schedule, rid, **patch)

    def _delete(self, change: Change) -> None:
        rid = str(change.remote_id)
        try:
            if change.kind is Kind.VALIDITY:
                self._write(self.client.validity.delete, change.data_source, rid)
            elif change.kind is Kind.REFERENTIAL:
                self._write(self.client.referential.delete, change.data_source, rid)
            else:
                self._write(self.client.freshness.delete_schedule, rid)
        except NotFoundError:
            return  # already gone (an earlier attempt went through): the goal is reached
