"""The case: what it is, its opaque handle, who may see it, and what of it is new. Pure, no Flask.

A case is the events of one producer with one ``Event.case_key`` (``part.arende``, else
``referenser``, else the type's case segment); its state is its latest event's ball holder.
Whole cases (``Case``, built from events) serve the case and situation pages; a listed case
(``CaseSummary``, from a store case row, see ``caselist``) serves the overview and the calendar.

Three rules live here once, and every page uses them:
- visibility: ``visible`` (``Party.may_see_case`` at the case's agency), as the store's case index
  applies it: ``gate_for``;
- the handle: ``case_handle`` under a per-party key derived from the app secret (``party_handle_key``);
- "new": ``arrived_after(arrived, new_since(...))``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from portal.standard.ballholder import BallHolder
from portal.standard.models import Event

if TYPE_CHECKING:
    from portal.representation import Party


@dataclass
class Case:
    producer: str  # slug
    producer_name: str
    key: str  # Event.case_key
    events: list[Event] = field(default_factory=list)  # newest first
    arrived: dict[str, dt.datetime] = field(default_factory=dict)  # kundhandelseId -> when we first had it
    unread: int = 0  # events that arrived after the user last opened the case (see mark_unread)
    type_name: str | None = None  # the case type's name in the agency's catalog (see ``name_cases``)
    type_lang: str | None = None
    twin: bool = False  # another listed case of this agency has the same title

    # Derived per installation and party (party_handle_key): handles cannot be computed or linked. Never printed.
    handle_key: str = field(default="", repr=False)

    @property
    def handle(self) -> str:
        """Opaque id for URLs: says nothing of the case or the customer."""
        return case_handle(self.producer, self.key, self.handle_key)

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
        """What the case is: its type's name in the catalog, else its first event's title."""
        return self.type_name or self.first.rubrik

    @property
    def title_lang(self) -> str:
        return self.type_lang if self.type_name else self.first.sprak

    @property
    def started(self) -> dt.datetime:
        return self.first.tidpunkt

    @property
    def reference(self) -> str | None:
        return self.latest.reference


@dataclass(frozen=True)
class EventLine:
    """The little the list shows of an event."""

    rubrik: str
    sprak: str
    tidpunkt: dt.datetime | None = None


@dataclass
class CaseSummary:
    """A listed case: what the case cards show, without its events."""

    producer: str
    producer_name: str
    key: str
    handle: str
    title: str
    latest_typ: str
    first: EventLine
    latest: EventLine
    ball_holder: BallHolder
    deadline: dt.date | None
    reference: str | None
    unread: int = 0
    title_lang: str = "sv"
    twin: bool = False  # another listed case of the agency has the same title: told apart by reference or start
    started: dt.datetime | None = None  # read only for a twin without a reference


def visible(party: Party, orgnr: dict[str, str], producer: str, types: Iterable[str]) -> bool:
    """THE visibility rule of a case, on every page: ``Party.may_see_case`` at the case's agency (``orgnr``: slug ->
    organisation number of the connected agencies). Every event type in it must be one the basis may see."""
    return producer in orgnr and party.may_see_case(orgnr[producer], types)


def gate_for(party: Party, producers) -> Callable[[str, str], bool] | None:
    """``visible`` as the store's case index applies it (a row's types comma-joined); None for full access."""
    if party.full_access:
        return None
    orgnr = {p.slug: p.orgnr for p in producers}

    def gate(producer: str, types: str) -> bool:
        return visible(party, orgnr, producer, types.split(",") if types else [])
    return gate


def name_cases(cases: list[Case], names: dict[str, dict], locale: str) -> None:
    """Title each case by its type's catalog name, and mark those that share a title (``case_names``)."""
    from portal.case_names import mark_twins, type_name

    for case in cases:
        found = type_name(case.case_type, names, locale)
        if found:
            case.type_name, case.type_lang = found
    mark_twins(cases)


def party_handle_key(secret: str, party_digits: str) -> str:
    """The key of one party's case handles, derived from the app secret: it holds neither the secret nor the number."""
    return hmac.new(secret.encode(), b"case-handles\x00" + party_digits.encode(), hashlib.sha256).hexdigest()


def case_handle(producer: str, key: str, handle_key: str = "") -> str:
    mac = hmac.new(handle_key.encode(), f"{producer}\x00{key}".encode(), hashlib.sha256)
    return mac.hexdigest()[:20]


def build_cases(events, handle_key: str = "") -> list[Case]:
    """Group ``(producer slug, producer name, event[, first stored at])`` into cases, newest activity first.

    ``handle_key`` keys the cases' URL handles (``party_handle_key``: derived, it holds no secret).
    """
    cases: dict[tuple[str, str], Case] = {}
    for slug, name, event, *arrived in events:
        case = cases.setdefault((slug, event.case_key), Case(slug, name, event.case_key, handle_key=handle_key))
        case.events.append(event)
        if arrived and arrived[0] is not None:
            case.arrived[event.kundhandelse_id] = arrived[0]
    for case in cases.values():
        case.events.sort(key=lambda e: (e.tidpunkt, e.kundhandelse_id), reverse=True)
    return sorted(cases.values(), key=lambda c: (c.latest.tidpunkt, c.handle), reverse=True)


BASELINE = "*"  # the seen-log row that marks a user's first look at a party's cases


def agency_baseline(producer: str) -> str:
    """The seen-log row of the first page that showed this agency's answer for the party to the user."""
    return "*" + producer


def new_since(seen: dict[str, dt.datetime], handle: str, producer: str) -> dt.datetime | None:
    """After when an event of this case counts as new; None: nothing of it does yet.

    "New" is measured per agency from the first page that showed its answer: an agency that answers late
    (after the page was served) does not make its whole history new on the user's first visit.
    """
    agency = seen.get(agency_baseline(producer))
    if agency is None:
        return None
    return max(t for t in (seen.get(handle), seen.get(BASELINE), agency) if t is not None)


def arrived_after(arrived: dt.datetime | None, since: dt.datetime | None) -> bool:
    """THE unread rule: an event (or a case's newest arrival) is new when we first had it after ``since``
    (``new_since``: the user's last look at the case, and the agency's first answer shown)."""
    return arrived is not None and since is not None and arrived > since


def is_new(case: Case, event: Event, since: dt.datetime | None) -> bool:
    """Whether one event of a whole case is new (``arrived_after``)."""
    return arrived_after(case.arrived.get(event.kundhandelse_id), since)


FIRST_EVENTS = 50  # a long case's page shows its latest events; the rest are one link away


def events_first_shown(events: list[Event], new_ids: set[str] | frozenset[str], first: int = FIRST_EVENTS) -> int:
    """How many of a case's events (newest first) its page shows before "Show all": the latest ``first``, and
    more when a new event is further down (what is new is never behind the link)."""
    shown = min(first, len(events))
    for index in range(len(events) - 1, shown - 1, -1):
        if events[index].kundhandelse_id in new_ids:
            return index + 1
    return shown


def mark_unread(cases: list[Case], seen: dict[str, dt.datetime]) -> None:
    """Set ``unread`` on each case from the user's seen-log (see ``new_since``)."""
    for case in cases:
        since = new_since(seen, case.handle, case.producer)
        case.unread = sum(1 for e in case.events if is_new(case, e, since))
