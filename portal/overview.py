"""From events to what the overview shows: cases, who has the ball, situations.

Pure functions. A case is one producer's ``part.arende`` (or the event type's
case segment when ``arende`` is missing); its state is its latest event's ball
holder. The overview puts "your turn" first (earliest deadline first), then
cases grouped by situation (type prefixes from the config), then the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from portal.config import SituationConfig
from portal.standard.ballholder import BallHolder
from portal.standard.eventtypes import matches_any
from portal.standard.models import Event


@dataclass
class Case:
    producer: str  # slug
    producer_name: str
    key: str  # Event.case_key
    events: list[Event] = field(default_factory=list)  # newest first

    @property
    def handle(self) -> str:
        """Opaque id for URLs: says nothing of the case or the customer."""
        return case_handle(self.producer, self.key)

    @property
    def latest(self) -> Event:
        return self.events[0]

    @property
    def first(self) -> Event:
        return self.events[-1]

    @property
    def ball_holder(self) -> BallHolder:
        return self.latest.ball_holder

    @property
    def deadline(self) -> dt.date | None:
        """The latest event's deadline, while the ball is with the customer."""
        return self.latest.deadline if self.ball_holder is BallHolder.CUSTOMER else None

    @property
    def case_type(self) -> str:
        return self.latest.event_type.case_type

    @property
    def title(self) -> str:
        """What the case is about: its first event's title (usually names the application)."""
        return self.first.rubrik

    @property
    def reference(self) -> str | None:
        arende = self.latest.part.arende
        return arende.identifierare if arende else None


def case_handle(producer: str, key: str) -> str:
    return hashlib.sha256(f"{producer}\x00{key}".encode()).hexdigest()[:20]


def build_cases(events: list[tuple[str, str, Event]]) -> list[Case]:
    """Group ``(producer slug, producer name, event)`` into cases, newest activity first."""
    cases: dict[tuple[str, str], Case] = {}
    for slug, name, event in events:
        case = cases.setdefault((slug, event.case_key), Case(slug, name, event.case_key))
        case.events.append(event)
    for case in cases.values():
        case.events.sort(key=lambda e: (e.tidpunkt, e.kundhandelse_id), reverse=True)
    return sorted(cases.values(), key=lambda c: (c.latest.tidpunkt, c.handle), reverse=True)


@dataclass
class SituationGroup:
    situation: SituationConfig
    cases: list[Case]


@dataclass
class Overview:
    your_turn: list[Case]
    situations: list[SituationGroup]
    other: list[Case]

    @property
    def is_empty(self) -> bool:
        return not (self.your_turn or self.situations or self.other)


def _deadline_order(case: Case):
    # Cases with a deadline first, earliest first; then the rest by latest activity.
    return (case.deadline is None, case.deadline or dt.date.max, -case.latest.tidpunkt.timestamp())


def build_overview(cases: list[Case], situations: tuple[SituationConfig, ...]) -> Overview:
    """Split cases into "your turn", situations (in config order) and other cases.

    A case where the ball is with the customer appears under "your turn" and is
    not repeated below; a case matching several situations is listed under the
    first one.
    """
    your_turn = sorted((c for c in cases if c.ball_holder is BallHolder.CUSTOMER), key=_deadline_order)
    rest = [c for c in cases if c.ball_holder is not BallHolder.CUSTOMER]
    groups, placed = [], set()
    for situation in situations:
        members = [c for c in rest if c.handle not in placed and matches_any(c.latest.typ, situation.case_types)]
        placed.update(c.handle for c in members)
        if members:
            groups.append(SituationGroup(situation, members))
    other = [c for c in rest if c.handle not in placed]
    return Overview(your_turn, groups, other)


def find_case(cases: list[Case], handle: str) -> Case | None:
    return next((c for c in cases if c.handle == handle), None)
