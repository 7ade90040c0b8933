"""The ``tidpunkt`` field: when an event happened.

The standard sends RFC 3339. Producers also accept local Swedish time written
``YYYY-MM-DD HH:MM:SS`` (no offset), which we read as Europe/Stockholm. Either
way the result is an aware datetime, so events from different producers sort
correctly across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$")

# Used by the JSON Schema too: either accepted form, checked in full by parse().
PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})| \d{2}:\d{2}:\d{2})$"


class InvalidTidpunkt(ValueError):
    """A tidpunkt that is neither RFC 3339 nor a valid Swedish local time."""


def parse(value: str) -> dt.datetime:
    """Parse a tidpunkt into an aware datetime.

    Local times that do not exist in Stockholm (the hour skipped in spring) are
    rejected; local times that occur twice (autumn) mean the first occurrence,
    which is summer time, as a producer writing from its own clock would mean.
    """
    if not isinstance(value, str):
        raise InvalidTidpunkt("tidpunkt must be a string")
    m = _RFC3339.match(value)
    if m:
        year, month, day, hour, minute, second, frac, offset = m.groups()
        micro = int((frac[1:] + "000000")[:6]) if frac else 0
        if offset in ("Z", "z"):
            tz = dt.timezone.utc
        else:
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                raise InvalidTidpunkt("tidpunkt has an invalid offset")
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        return _build(year, month, day, hour, minute, second, micro, tz)
    m = _LOCAL.match(value)
    if m:
        local = _build(*m.groups(), 0, None)
        aware = local.replace(tzinfo=STOCKHOLM, fold=0)
        # A wall time in the spring gap does not survive a round trip through UTC.
        back = aware.astimezone(dt.timezone.utc).astimezone(STOCKHOLM)
        if back.replace(tzinfo=None) != local:
            raise InvalidTidpunkt("tidpunkt names a local time that does not exist in Sweden (daylight-saving gap)")
        return aware
    raise InvalidTidpunkt("tidpunkt must be RFC 3339 or 'YYYY-MM-DD HH:MM:SS' Swedish local time")


# Before 1900 Stockholm kept local mean time (offset +01:12:12, not expressible in RFC 3339);
# near year 9999 a conversion to another zone overflows. Neither is a plausible event time.
MIN_YEAR, MAX_YEAR = 1900, 9998


def _build(year, month, day, hour, minute, second, micro, tz) -> dt.datetime:
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise InvalidTidpunkt(f"tidpunkt must lie between the years {MIN_YEAR} and {MAX_YEAR}")
    try:
        return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError as exc:
        raise InvalidTidpunkt(f"tidpunkt is not a valid date and time ({exc})") from None


def format_rfc3339(value: dt.datetime) -> str:
    """RFC 3339 in Swedish local time, e.g. ``2026-09-14T10:12:00+02:00``."""
    return value.astimezone(STOCKHOLM).isoformat(timespec="seconds")


def local_date(value: dt.datetime) -> dt.date:
    """The Swedish calendar date of an instant (what startDatum/slutDatum compare)."""
    return value.astimezone(STOCKHOLM).date()
