"""The one reader of ISO-8601 timestamp text, the same on Python 3.10 to 3.13.

Python 3.10's ``datetime.fromisoformat`` refuses ``Z``, fractions other than 3 or 6 digits,
``+HHMM``/``+HH`` offsets; this module accepts them all and always returns an aware datetime.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["format_utc", "parse_timestamp", "utc_now"]

_PATTERN = re.compile(
    r"""
    (?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
    (?:
        [Tt\ ]
        (?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?
        \ ?
        (?P<zone>[Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?
    )?
    """,
    re.VERBOSE,
)


def utc_now() -> datetime:
    """The current time as an aware UTC datetime (the shells' clock)."""
    return datetime.now(timezone.utc)


def parse_timestamp(text: str) -> datetime:
    """An aware datetime from ISO-8601 text; a value without an offset is taken as UTC.

    Accepts ``T``, ``t`` or a space between date and time, fractions of any length (beyond
    microseconds they are truncated), ``Z`` and ``±HH[:MM[:SS]]`` offsets, and a bare date.
    Raises ValueError naming the text when it is not such a timestamp.
    """
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}")
    parts = match.groupdict()
    fraction = (parts["fraction"] or "")[:6].ljust(6, "0")
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=_zone(parts["zone"]),
        )
    except ValueError as exc:
        raise ValueError(f"not a valid timestamp: {text!r} ({exc})") from exc


def format_utc(value: datetime, *, seconds: bool = False) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix; ``seconds=True`` drops the fraction.

    A naive value is taken as UTC, like ``parse_timestamp`` does.
    """
    aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
    utc = aware.astimezone(timezone.utc)
    if seconds:
        utc = utc.replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")


def _zone(text: str | None) -> timezone:
    if text is None or text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    if len(digits) not in (2, 4, 6):
        raise ValueError(f"bad UTC offset {text!r}")
    hours, minutes, secs = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    if hours > 23 or minutes > 59 or secs > 59:
        raise ValueError(f"bad UTC offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=secs))
