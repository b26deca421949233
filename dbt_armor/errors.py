"""The ArmorError tree and the exit-code contract.

Every error a user can cause or meet maps to one class here, with a one-line message that says
what is wrong and what to do. No module raises a bare httpx, pydantic or msgspec exception
through the public API.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Stable process exit codes (documented in the README)."""

    OK = 0
    DBT_FAILURE = 1  # dbt ran and a node or test failed (dbt's own code is passed through)
    FINDINGS = 1  # (alias) a check command found what it looks for: drift, unresolved names
    USAGE = 2  # usage, configuration, input or internal error
    BLOCKED = 3  # the gate blocked the run (stale / invalid upstream data)
    PLATFORM_UNAVAILABLE = 4  # the platform could not be reached and the policy fails closed
    INTERRUPTED = 130  # Ctrl-C or an aborted prompt, as a shell reports SIGINT (undocumented)


class GateOutcome(str, Enum):
    """The run-level outcome of a gate; every output repeats it and its exit code."""

    PASS = "pass"  # nothing to report
    WARN = "warn"  # findings at warn level only; dbt runs
    BLOCK = "block"  # a blocking finding: nothing runs
    SKIP = "skip"  # a blocking finding: dbt runs without the affected nodes
    UNAVAILABLE = "unavailable"  # the platform could not be asked; fail closed
    UNCHECKED = "unchecked"  # the platform could not be asked; on_api_error=open lets dbt run
    NO_SOURCES = "no_sources"  # the selection reads no upstream source
    NOT_CONFIGURED = "not_configured"  # the platform knows none of the gated sources


class CommandOutcome(str, Enum):
    """The outcome of every other command; each returns one instead of choosing a code."""

    OK = "ok"  # did what was asked (map, sync, lineage, freshness, emulator, doctor, ...)
    FINDINGS = "findings"  # map --check: names do not resolve; validate: problems found
    DRIFT = "drift"  # sync plan --fail-on-changes: the platform differs from the dbt tests
    USAGE = "usage"  # a flag click refused; doctor: bad config, no key, key refused;
    # validate: no readable manifest
    MERGE_BLOCKED = "merge_blocked"  # ci: the --fail-on policy blocks the merge
    UNREACHABLE = "unreachable"  # doctor: the platform cannot be reached or keeps erroring
    INTERRUPTED = "interrupted"  # Ctrl-C or an aborted prompt


# The one table from outcomes to process exit codes. Errors carry theirs on the class
# (ArmorError.exit_code, below); dbt's own code passes through when dbt ran.
_OUTCOME_EXIT: dict[GateOutcome | CommandOutcome, ExitCode] = {
    GateOutcome.PASS: ExitCode.OK,
    GateOutcome.WARN: ExitCode.OK,
    GateOutcome.SKIP: ExitCode.OK,
    GateOutcome.UNCHECKED: ExitCode.OK,
    GateOutcome.NO_SOURCES: ExitCode.OK,
    GateOutcome.BLOCK: ExitCode.BLOCKED,
    GateOutcome.UNAVAILABLE: ExitCode.PLATFORM_UNAVAILABLE,
    GateOutcome.NOT_CONFIGURED: ExitCode.USAGE,
    CommandOutcome.OK: ExitCode.OK,
    CommandOutcome.FINDINGS: ExitCode.FINDINGS,
    CommandOutcome.DRIFT: ExitCode.FINDINGS,
    CommandOutcome.USAGE: ExitCode.USAGE,
    CommandOutcome.MERGE_BLOCKED: ExitCode.BLOCKED,
    CommandOutcome.UNREACHABLE: ExitCode.PLATFORM_UNAVAILABLE,
    CommandOutcome.INTERRUPTED: ExitCode.INTERRUPTED,
}


def exit_code_for(outcome: GateOutcome | CommandOutcome) -> ExitCode:
    """The process exit code of a command's outcome."""
    return _OUTCOME_EXIT[outcome]


def process_exit_code(returned: object) -> int:
    """The exit code of what a command returned: its outcome through the table; an int is a
    code already decided (dbt's own when dbt ran, or the gate's from this table); None is 0."""
    if isinstance(returned, (GateOutcome, CommandOutcome)):
        return int(exit_code_for(returned))
    if isinstance(returned, int):
        return returned
    return int(ExitCode.OK)


class ArmorError(Exception):
    """Root of every error dbt-armor raises on purpose."""

    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(ArmorError):
    """Missing or invalid configuration (key, URL, project file, policy value)."""


class UsageError(ArmorError):
    """A command-line mistake the user can fix."""


class ManifestError(ArmorError):
    """A dbt artifact is missing, corrupt or of an unsupported version."""


class DbtError(ArmorError):
    """dbt could not be invoked (not installed, parse failed, selection failed)."""


class GateBlocked(ArmorError):
    """The gate decided not to run dbt. ``result`` holds the full gate result."""

    exit_code = ExitCode.BLOCKED

    def __init__(self, message: str, *, result: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.result = result


class PlanError(ArmorError):
    """A sync plan cannot be applied (stale plan, duplicate keys, wrong file)."""


# ---------------------------------------------------------------- API errors


class ApiError(ArmorError):
    """Any failure talking to the platform. Carries the server's code and details when known."""

    exit_code = ExitCode.PLATFORM_UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        method: str | None = None,
        url: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.code = code
        self.details = details or {}
        self.method = method
        self.url = url


class TransportError(ApiError):
    """The request did not get an HTTP answer (connect error, timeout, reset)."""


class PlatformTimeout(TransportError):
    """The request or the total retry budget timed out."""


class ResponseFormatError(ApiError):
    """The server answered with something that is not the API's JSON (HTML, garbage, too big)."""


class ApiStatusError(ApiError):
    """The server answered with an HTTP error status."""


class AuthenticationError(ApiStatusError):
    """401: the key is missing, wrong or revoked."""

    exit_code = ExitCode.USAGE


class ForbiddenError(ApiStatusError):
    """403: the key is valid but its scope is too small."""

    exit_code = ExitCode.USAGE

    @property
    def required_scope(self) -> str | None:
        value = self.details.get("required_scope")
        return str(value) if value is not None else None

    @property
    def current_scope(self) -> str | None:
        value = self.details.get("current_scope")
        return str(value) if value is not None else None


class NotFoundError(ApiStatusError):
    """404: the asset, rule, check or job does not exist (or is not visible to this key)."""

    exit_code = ExitCode.USAGE


class ValidationError(ApiStatusError):
    """400/422: the request was rejected as invalid."""

    exit_code = ExitCode.USAGE


class ConflictError(ApiStatusError):
    """409: the request conflicts with the current state."""

    exit_code = ExitCode.USAGE


class RateLimitError(ApiStatusError):
    """429 after retries were exhausted. ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiStatusError):
    """5xx after retries were exhausted."""
