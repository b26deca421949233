"""The tolerant timestamp reader: the forms Python 3.11 accepts, read the same on 3.10."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dbt_armor.timestamps import format_utc, parse_timestamp, utc_now

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T00:00:00.1234Z", datetime(2024, 1, 1, 0, 0, 0, 123400, tzinfo=UTC)),
        ("2024-01-01 00:00:00.5+00:00", datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2024-01-01t00:00:00.123456789z", datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2024-01-01 12:30", datetime(2024, 1, 1, 12, 30, tzinfo=UTC)),
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-06-30T23:59:59,5Z", datetime(2024, 6, 30, 23, 59, 59, 500000, tzinfo=UTC)),
    ],
)
def test_reads_forms_that_python_310_refuses(text: str, expected: datetime) -> None:
    got = parse_timestamp(text)
    assert got == expected
    assert got.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2024-01-01T05:00:00+05:00", timedelta(hours=5)),
        ("2024-01-01T05:00:00+0500", timedelta(hours=5)),
        ("2024-01-01 05:00:00.25+05", timedelta(hours=5)),
        ("2024-01-01T05:00:00-03:30", timedelta(hours=-3, minutes=-30)),
        ("2024-01-01T05:00:00 +01:00", timedelta(hours=1)),
    ],
)
def test_keeps_the_offset(text: str, offset: timedelta) -> None:
    got = parse_timestamp(text)
    assert got.utcoffset() == offset


def test_naive_text_is_read_as_utc() -> None:
    assert parse_timestamp("2024-03-01T10:00:00") == datetime(2024, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-02-30",
        "2024-01-01T25:00:00Z",
        "2024-01-01T00:00:00+25:00",
        "2024-01-01T00:00:00+123",
        "2024-01-01T00:00:00Zjunk",
        "2024-01-01-05",
    ],
)
def test_rejects_what_is_not_a_timestamp(text: str) -> None:
    with pytest.raises(ValueError, match=r"timestamp|offset"):
        parse_timestamp(text)


def test_format_utc_converts_to_utc_with_z() -> None:
    plus_two = timezone(timedelta(hours=2))
    value = datetime(2024, 1, 1, 2, 0, 0, 250000, tzinfo=plus_two)
    assert format_utc(value) == "2024-01-01T00:00:00.250000Z"
    assert format_utc(value, seconds=True) == "2024-01-01T00:00:00Z"
    assert format_utc(datetime(2024, 1, 1)) == "2024-01-01T00:00:00Z"


def test_utc_now_is_aware_utc() -> None:
    assert utc_now().utcoffset() == timedelta(0)


aware = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=9))]),
)


@given(aware, st.sampled_from(["T", " "]), st.sampled_from(["seconds", "milliseconds", "auto"]))
def test_reads_back_what_isoformat_writes(value: datetime, sep: str, spec: str) -> None:
    text = value.isoformat(sep=sep, timespec=spec)
    expected = value if spec == "auto" else value.replace(microsecond=_cut(value, spec))
    assert parse_timestamp(text) == expected
    assert parse_timestamp(format_utc(value)) == value


@pytest.mark.skipif(sys.version_info < (3, 11), reason="compares with 3.11's fromisoformat")
@given(aware, st.integers(min_value=1, max_value=6), st.booleans())
def test_agrees_with_python_311_fromisoformat(value: datetime, digits: int, zulu: bool) -> None:
    text = value.isoformat(timespec="microseconds")
    date_time, offset = text[:26], text[26:]
    text = date_time[: 20 + digits] + ("Z" if zulu and offset == "+00:00" else offset)
    assert parse_timestamp(text) == datetime.fromisoformat(text)


def _cut(value: datetime, spec: str) -> int:
    return 0 if spec == "seconds" else value.microsecond // 1000 * 1000
