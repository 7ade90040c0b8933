"""Filters and search over the acting party's cases: reading them from a request.

``caselist`` turns them into the store's case query.

Every filter is a plain GET parameter, so a filtered overview is a link that can
be bookmarked and works without JavaScript. Bad values never raise: they are
reported (so the page can say what was wrong, with status 400) and ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping


STATUSES = ("customer", "producer", "closed")
MAX_QUERY = 200
# Dates a case can have; beyond them a date is refused (year 1 or 9999 cannot even be moved to UTC and back).
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


@dataclass(frozen=True)
class Filters:
    status: str = ""
    producer: str = ""
    situation: str = ""
    q: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    errors: tuple[str, ...] = field(default=())  # names of parameters whose values were refused

    @property
    def active(self) -> bool:
        return bool(self.status or self.producer or self.situation or self.q or self.date_from or self.date_to)

    def as_args(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them)."""
        out = {"status": self.status, "producer": self.producer, "situation": self.situation, "q": self.q,
               "from": self.date_from.isoformat() if self.date_from else "",
               "to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in out.items() if v}


def parse_filters(args: Mapping[str, str], producers: list[str], situations: list[str]) -> Filters:
    """Read filters from request arguments; unknown or malformed values are dropped and named in ``errors``."""
    errors: list[str] = []

    def pick(name: str, allowed) -> str:
        value = (args.get(name) or "").strip()
        if value and value not in allowed:
            errors.append(name)
            return ""
        return value

    def day(name: str) -> dt.date | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        try:
            parsed = dt.date.fromisoformat(value) if len(value) == 10 and value.isascii() else None
        except ValueError:
            parsed = None
        return parsed if parsed is not None and EARLIEST <= parsed <= LATEST else _bad(name)

    def _bad(name: str):
        errors.append(name)
        return None

    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY or any(ord(ch) < 32 for ch in q):
        errors.append("q")
        q = ""
    date_from, date_to = day("from"), day("to")
    if date_from and date_to and date_from > date_to:
        errors.append("to")
        date_to = None
    return Filters(pick("status", STATUSES), pick("producer", producers), pick("situation", situations), q,
                   date_from, date_to, tuple(errors))
