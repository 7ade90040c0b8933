"""One notion of "now" for the portal, the mock world and the tests.

Everything that asks what time or day it is asks here, never ``datetime.now()``.
The env variable ``MINA_CLOCK_SHIFT_DAYS`` (a whole number, may be negative) moves
this clock that many days from the machine's; every process started with it
(portal, mock agencies, registry, tests) agrees on the shifted day. That is how
the suite is run "200 days from now" (``make test-any-date``) without faking the
system clock, which hangs Python's timed waits under libfaketime.
"""

from __future__ import annotations

import datetime as dt
import os

from portal.standard.tidpunkt import STOCKHOLM

SHIFT_ENV = "MINA_CLOCK_SHIFT_DAYS"
UTC = dt.timezone.utc


class InvalidShift(ValueError):
    """``MINA_CLOCK_SHIFT_DAYS`` is not a whole number of days."""


def shift() -> dt.timedelta:
    """How far this clock is from the machine's (read on every call, so a test can set it)."""
    raw = os.environ.get(SHIFT_ENV, "").strip()
    if not raw:
        return dt.timedelta(0)
    try:
        return dt.timedelta(days=int(raw))
    except ValueError:
        raise InvalidShift(f"{SHIFT_ENV} must be a whole number of days, e.g. 200 or -200 (got {raw!r})") from None


def now() -> dt.datetime:
    """The current moment, aware, in UTC."""
    return dt.datetime.now(UTC) + shift()


def today() -> dt.date:
    """Today's date in Sweden: mandates are valid and deadlines fall per Swedish calendar day."""
    return now().astimezone(STOCKHOLM).date()
