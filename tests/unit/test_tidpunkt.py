"""tidpunkt: RFC 3339 and Swedish local time."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.standard.tidpunkt import STOCKHOLM, InvalidTidpunkt, format_rfc3339, local_date, parse

UTC = dt.timezone.utc


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "text,instant",
    [
        ("2026-09-14T08:12:00Z", utc(2026, 9, 14, 8, 12)),
        ("2026-09-14t08:12:00z", utc(2026, 9, 14, 8, 12)),
        ("2026-09-14T10:12:00+02:00", utc(2026, 9, 14, 8, 12)),
        ("2026-09-14T03:12:00-05:00", utc(2026, 9, 14, 8, 12)),
        ("2026-09-14T13:57:00+05:45", utc(2026, 9, 14, 8, 12)),
        ("2026-09-14T08:12:00+00:00", utc(2026, 9, 14, 8, 12)),
        ("2026-09-14T08:12:00.5Z", utc(2026, 9, 14, 8, 12, 0, 500000)),
        ("2026-09-14T08:12:00.123456Z", utc(2026, 9, 14, 8, 12, 0, 123456)),
        ("2026-09-14T08:12:00.123456789Z", utc(2026, 9, 14, 8, 12, 0, 123456)),
        ("2026-09-14T10:12:00.250+02:00", utc(2026, 9, 14, 8, 12, 0, 250000)),
    ],
)
def test_rfc3339(text, instant):
    value = parse(text)
    assert value.tzinfo is not None
    assert value == instant


def test_offset_is_kept():
    assert parse("2026-09-14T10:12:00+02:00").utcoffset() == dt.timedelta(hours=2)
    assert parse("2026-09-14T03:12:00-05:00").utcoffset() == dt.timedelta(hours=-5)


def test_local_time_in_winter_is_plus_one():
    value = parse("2026-01-15 10:00:00")
    assert value.utcoffset() == dt.timedelta(hours=1)
    assert value == utc(2026, 1, 15, 9, 0)


def test_local_time_in_summer_is_plus_two():
    value = parse("2026-07-15 10:00:00")
    assert value.utcoffset() == dt.timedelta(hours=2)
    assert value == utc(2026, 7, 15, 8, 0)


def test_local_times_either_side_of_the_spring_gap():
    assert parse("2026-03-29 01:59:59") == utc(2026, 3, 29, 0, 59, 59)
    assert parse("2026-03-29 03:00:00") == utc(2026, 3, 29, 1, 0, 0)


@pytest.mark.parametrize("text", ["2026-03-29 02:30:00", "2026-03-29 02:00:00", "2026-03-29 02:59:59"])
def test_spring_gap_is_rejected(text):
    with pytest.raises(InvalidTidpunkt, match="daylight"):
        parse(text)


def test_autumn_ambiguity_means_the_first_summer_occurrence():
    value = parse("2026-10-25 02:30:00")
    # Compared in UTC: inter-zone == is always False for a wall time that depends on fold (PEP 495).
    assert value.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    assert value.utcoffset() == dt.timedelta(hours=2)
    # an hour later on the wall clock, after the change, is winter time
    assert parse("2026-10-25 03:30:00") == utc(2026, 10, 25, 2, 30)


def test_local_form_sorts_correctly_against_rfc3339():
    # 02:30 summer time (first occurrence) is before 01:00Z (= 02:00 winter time).
    assert parse("2026-10-25 02:30:00") < parse("2026-10-25T01:00:00Z")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "2026-09-14",
        "2026-09-14T10:12:00",  # RFC 3339 needs an offset; only the space form is local
        "2026-09-14T10:12Z",
        "2026-09-14 10:12",
        "14/09/2026 10:12:00",
        "2026-9-14T10:12:00Z",
        "2026-02-30T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-09-14T24:00:00Z",
        "2026-09-14T10:60:00Z",
        "2026-09-14T10:12:61Z",
        "2026-02-29 10:00:00",
        "2026-09-14T10:12:00+24:00",
        "2026-09-14T10:12:00+02:60",
        "2026-09-14T10:12:00+0200",
        "2026-09-14T10:12:00.Z",
        "2026-09-14T10:12:00.1234567890Z",
        " 2026-09-14T10:12:00Z",
        "2026-09-14T10:12:00 Z",
        "0000-01-01T00:00:00Z",
    ],
)
def test_garbage_is_rejected(text):
    with pytest.raises(InvalidTidpunkt):
        parse(text)


@pytest.mark.parametrize("value", [None, 1726301520, dt.datetime(2026, 9, 14, tzinfo=UTC), b"2026-09-14T08:12:00Z"])
def test_non_strings_are_rejected(value):
    with pytest.raises(InvalidTidpunkt):
        parse(value)


def test_extreme_local_time_raises_invalid_tidpunkt_only():
    with pytest.raises(InvalidTidpunkt):
        parse("0001-01-01 00:00:00")


def test_format_rfc3339_is_swedish_local_with_offset():
    assert format_rfc3339(utc(2026, 9, 14, 8, 12)) == "2026-09-14T10:12:00+02:00"
    assert format_rfc3339(utc(2026, 1, 14, 8, 12)) == "2026-01-14T09:12:00+01:00"


@pytest.mark.parametrize(
    "text",
    ["2026-09-14T08:12:00Z", "2026-09-14 10:12:00", "2026-10-25 02:30:00", "2026-12-31T23:59:59-12:00"],
)
def test_format_then_parse_round_trips(text):
    value = parse(text)
    assert parse(format_rfc3339(value)).astimezone(UTC) == value.astimezone(UTC)


@pytest.mark.parametrize(
    "instant,day",
    [
        (utc(2026, 7, 1, 22, 30), dt.date(2026, 7, 2)),  # 00:30 on the 2nd in Sweden
        (utc(2026, 7, 1, 21, 59, 59), dt.date(2026, 7, 1)),  # 23:59:59 on the 1st
        (utc(2026, 7, 1, 22, 0), dt.date(2026, 7, 2)),  # midnight exactly
        (utc(2026, 1, 1, 22, 59, 59), dt.date(2026, 1, 1)),  # winter: +01:00
        (utc(2026, 1, 1, 23, 0), dt.date(2026, 1, 2)),
        (utc(2026, 12, 31, 23, 30), dt.date(2027, 1, 1)),  # new year in Sweden first
        (parse("2026-09-30T23:30:00+02:00"), dt.date(2026, 9, 30)),
        (parse("2026-09-30T22:30:00Z"), dt.date(2026, 10, 1)),
        (parse("2026-07-01T10:00:00-11:00"), dt.date(2026, 7, 1)),
    ],
)
def test_local_date_at_midnight_boundaries(instant, day):
    assert local_date(instant) == day


# Whole seconds only: format_rfc3339 writes seconds (documented), so fractions are not kept.
# From 1900 on: before that Stockholm's zone data uses local mean time (+01:12:12), which
# isoformat writes with seconds, outside RFC 3339.
aware = st.datetimes(
    min_value=dt.datetime(1900, 1, 2),
    max_value=dt.datetime(9998, 12, 31),
    timezones=st.one_of(
        st.just(UTC),
        st.just(STOCKHOLM),
        st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: dt.timezone(dt.timedelta(minutes=m))),
    ),
).map(lambda d: d.replace(microsecond=0))


@given(aware)
def test_any_aware_datetime_formatted_then_parsed_is_the_same_instant(value):
    text = format_rfc3339(value)
    back = parse(text)
    # Compare in UTC: inter-zone == is always False for wall times that depend on fold (PEP 495).
    assert back.astimezone(UTC) == value.astimezone(UTC)
    assert local_date(back) == local_date(value)
    assert text.endswith(("+01:00", "+02:00"))
