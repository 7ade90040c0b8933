"""Filters and search over the acting party's cases: pure parsing and matching.

Every filter is a plain GET parameter, so a filtered overview is a link that can
be bookmarked and works without JavaScript. Bad values never raise: they are
reported (so the page can say what was wrong, with status 400) and ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

from portal.config import SituationConfig
from portal.overview import Case
from portal.standard.eventtypes import matches_any
from portal.standard.tidpunkt import local_date

STATUSES = ("customer", "producer", "closed")
MAX_QUERY = 200


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
            return dt.date.fromisoformat(value) if len(value) == 10 else _bad(name)
        except ValueError:
            return _bad(name)

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


def _matches_text(case: Case, needle: str) -> bool:
    for event in case.events:
        if needle in event.rubrik.casefold() or needle in event.beskrivning.casefold():
            return True
    return bool(case.reference and needle in case.reference.casefold())


def _in_range(case: Case, start: dt.date | None, end: dt.date | None) -> bool:
    for event in case.events:
        day = local_date(event.tidpunkt)
        if (start is None or day >= start) and (end is None or day <= end):
            return True
    return False


def apply(cases: list[Case], filters: Filters, situations: tuple[SituationConfig, ...]) -> list[Case]:
    """The cases that pass every active filter, in their original order."""
    situation = next((s for s in situations if s.slug == filters.situation), None)
    needle = filters.q.casefold()
    out = []
    for case in cases:
        if filters.status and case.ball_holder.value != filters.status:
            continue
        if filters.producer and case.producer != filters.producer:
            continue
        if situation and not matches_any(case.latest.typ, situation.case_types):
            continue
        if needle and not _matches_text(case, needle):
            continue
        if (filters.date_from or filters.date_to) and not _in_range(case, filters.date_from, filters.date_to):
            continue
        out.append(case)
    return out
