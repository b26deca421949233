"""Shared pieces of the response models: the tolerant base class, Page, and safe parsing.

Owns turning decoded JSON into typed values; it must not perform HTTP or pick envelopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict

from dbt_armor.errors import ResponseFormatError, UsageError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Tolerant(BaseModel):
    """Base of every response model: unknown fields are ignored, names or aliases accepted."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class Strict(BaseModel):
    """Base of every request model: unknown fields are an error, ``None`` fields are not sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list endpoint, whatever the server's envelope looked like."""

    items: list[T]
    total: int | None = None
    limit: int = 100
    offset: int = 0
    has_more: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _first_error(exc: pydantic.ValidationError) -> tuple[str, str]:
    """The dotted location and message of a validation error's first problem."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ())) or "<root>"
    return loc, first.get("msg", "invalid")


def parse(model: type[M], data: Any, where: str) -> M:
    """Validate ``data`` into ``model``; a mismatch becomes a one-line ResponseFormatError."""
    if not isinstance(data, dict):
        raise ResponseFormatError(
            f"{where}: expected a JSON object, got {type(data).__name__}",
            hint="the server does not speak this API version; check ARMOR_API_URL",
        )
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        loc, msg = _first_error(exc)
        raise ResponseFormatError(
            f"{where}: unexpected {model.__name__} field {loc!r} ({msg})",
            hint="the server's answer does not match the API contract; report it with the path",
        ) from None


def build(model: type[M], fields: dict[str, Any]) -> M:
    """Build a request model from caller fields; a mistake becomes a one-line UsageError."""
    try:
        return model.model_validate(fields)
    except pydantic.ValidationError as exc:
        loc, msg = _first_error(exc)
        raise UsageError(
            f"invalid {model.__name__} field {loc!r}: {msg}",
            hint="fix the value passed to the client",
        ) from None


def int_to_str(value: Any) -> Any:
    """An integer id becomes its string; anything else (bools included) passes unchanged."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def str_or_none(value: Any) -> str | None:
    """Any id as a string, ``None`` kept as ``None``."""
    return None if value is None else str(value)


def lower_or_none(value: Any) -> str | None:
    """A status in lower case, ``None`` kept as ``None``."""
    return None if value is None else str(value).lower()


def first_of(data: dict[str, Any], *names: str) -> Any:
    """The first present, non-None value among ``names`` (None when none is set)."""
    for name in names:
        value = data.get(name)
        if value is not None:
            return value
    return None
