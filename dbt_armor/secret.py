"""The Secret type that holds the API key.

Its repr and str show only a mask (prefix and last four characters); only the HTTP transport
calls ``reveal()``. It cannot be pickled, so it cannot leak through a cache or a subprocess.
"""

from __future__ import annotations

import re
from typing import Any

_KEY_PREFIX = re.compile(r"^aa_[a-z]+_")


class Secret:
    """A string that never shows itself: ``repr``/``str`` give ``aa_live_…abcd``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The raw value. Only the HTTP transport should call this."""
        return self._value

    @property
    def masked(self) -> str:
        match = _KEY_PREFIX.match(self._value)
        prefix = match.group(0) if match else ""
        tail = self._value[-4:] if len(self._value) - len(prefix) >= 12 else ""
        return f"{prefix}…{tail}"

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


__all__ = ["Secret"]
