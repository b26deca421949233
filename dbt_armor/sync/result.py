"""What an apply did, as a typed summary: counts by outcome, what was not done and why.

Owns the summary values and the error raised from them; it must not render or call the platform.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from dbt_armor.errors import ApiError, ExitCode
from dbt_armor.sync.specs import Action, Change


class SyncApplyError(ApiError):
    """Some changes failed or were not attempted; ``result`` says which. Rerunning converges."""

    def __init__(self, message: str, *, result: ApplyResult, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.result = result


@dataclass
class ApplyResult:
    """``done`` counts changes that took effect by action; ``reconciled`` creates whose answer
    was lost but that were found on the platform; ``cleaned_up`` extra copies deleted after the
    run (made by a concurrent apply or a late commit); ``not_done`` changes never attempted."""

    done: dict[str, int] = field(default_factory=lambda: {a.value: 0 for a in Action})
    reconciled: int = 0
    cleaned_up: int = 0
    errors: list[tuple[Change, ApiError]] = field(default_factory=list)
    not_done: list[Change] = field(default_factory=list)
    stopped: str | None = None  # why writes stopped before the end
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, action: Action) -> None:
        with self.lock:
            self.done[action.value] += 1

    def add_reconciled(self) -> None:
        with self.lock:
            self.reconciled += 1

    def fail(self, change: Change, error: ApiError) -> None:
        with self.lock:
            self.errors.append((change, error))

    def skip(self, change: Change) -> None:
        with self.lock:
            self.not_done.append(change)

    @property
    def created(self) -> int:
        return self.done[Action.CREATE.value]

    @property
    def deleted(self) -> int:
        return self.done[Action.DELETE.value]

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data (for JSON output)."""
        return {
            "created": self.done[Action.CREATE.value],
            "updated": self.done[Action.UPDATE.value],
            "replaced": self.done[Action.REPLACE.value],
            "deleted": self.done[Action.DELETE.value],
            "reconciled": self.reconciled,
            "cleaned_up": self.cleaned_up,
            "failed": len(self.errors),
            "not_done": len(self.not_done),
            "stopped": self.stopped,
        }


def raise_for_errors(result: ApplyResult, total: int) -> None:
    """Raise SyncApplyError when anything failed or was left undone (exit code of the cause:
    2 for a refused key or scope, 4 for an unreachable, saturated or too slow platform)."""
    if not result.errors and not result.not_done:
        return
    left = f"{len(result.not_done)} not done" if result.not_done else ""
    if result.errors:
        change, first = result.errors[0]
        what = f"{len(result.errors)} of {total} changes failed"
        what += f", {left}" if left else ""
        text = f"{what}; first: {change.action.value} {change.key}: {first.message}"
        hint, code, status = first.hint, first.code, first.status_code
        exit_code = first.exit_code
    else:
        text = f"{left} of {total} changes"
        hint, code, status, exit_code = None, None, None, ExitCode.PLATFORM_UNAVAILABLE
    if result.stopped:
        text = f"stopped ({result.stopped}): {text}"
    error = SyncApplyError(
        text,
        result=result,
        hint=hint or "fix the cause and run `dbt-armor sync apply` again (it converges)",
        status_code=status,
        code=code,
    )
    error.exit_code = exit_code
    raise error
