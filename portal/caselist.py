"""The overview's fast path: pages of case rows, so the cost follows the page, not the history.

The overview reads the store's case rows (one per case, kept in step with the
events) a section at a time: "your turn" by earliest deadline, then each
situation, then the rest, each limited to one page. A person with ten thousand
events waits no longer than one with ten. Only the shown cases get a handle and
an unread count.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field

from portal.config import Config, SituationConfig
from portal.filters import Filters
from portal.overview import BASELINE, case_handle
from portal.representation import Party
from portal.standard.ballholder import BallHolder
from portal.standard.tidpunkt import STOCKHOLM
from portal.store import CaseQuery, CaseRow, Store

SECTION_SIZE = 25


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
    first: EventLine
    latest: EventLine
    ball_holder: BallHolder
    deadline: dt.date | None
    reference: str | None
    unread: int = 0


@dataclass
class Section:
    kind: str  # "your_turn" | "situation" | "other"
    cases: list[CaseSummary]
    total: int
    situation: SituationConfig | None = None


@dataclass
class OverviewPage:
    your_turn: Section
    situations: list[Section]
    other: Section
    total: int  # every case of the party this basis may see
    shown_total: int  # the ones the filters let through
    page: int
    has_more: bool
    sections: list[Section] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.shown_total == 0


def gate_for(party: Party, config: Config):
    """None for full access; else a check that every type in a case is covered at that agency."""
    if party.full_access:
        return None
    orgnr = {p.slug: p.orgnr for p in config.producers}

    def gate(producer: str, types: str) -> bool:
        return bool(types) and all(party.may_see(orgnr[producer], t) for t in types.split(","))
    return gate


def base_query(config: Config, party: Party, filters: Filters, visible: list[str]) -> CaseQuery:
    start = end = None
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time(), STOCKHOLM).astimezone(dt.timezone.utc).isoformat()
    if filters.date_to:
        after = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(), STOCKHOLM)
        end = after.astimezone(dt.timezone.utc).isoformat()
    situation = next((s for s in config.situations if s.slug == filters.situation), None)
    return CaseQuery(
        producers=tuple(visible), gate=gate_for(party, config), ball=filters.status or None,
        producer=filters.producer or None, prefixes=tuple(situation.case_types) if situation else (),
        text=filters.q.casefold(), start_utc=start, end_utc=end,
    )


def _replace(q: CaseQuery, **changes) -> CaseQuery:
    from dataclasses import replace
    return replace(q, **changes)


def overview_page(store: Store, config: Config, party: Party, filters: Filters, visible: list[str], *,
                  handle_key: str, user_handle: str, page: int = 0, size: int = SECTION_SIZE) -> OverviewPage:
    """The sections of one overview page, each at most ``size`` cases, ``page`` pages in."""
    digits = party.identity.digits
    base = base_query(config, party, filters, visible)
    offset = page * size
    your_q = _replace(base, ball=BallHolder.CUSTOMER.value) if base.ball in (None, "customer") else None
    rest_q = _replace(base, not_ball=BallHolder.CUSTOMER.value) if base.ball != "customer" else None
    sections: list[Section] = []
    your_turn = Section("your_turn", [], 0)
    if your_q is not None:
        your_turn = Section("your_turn", store.case_rows(digits, your_q, by_deadline=True, limit=size, offset=offset),
                            store.case_count(digits, your_q))
    situations, placed = [], []
    groups = () if filters.situation else config.situations
    other = Section("other", [], 0)
    if rest_q is not None:
        for situation in groups:
            q = _replace(rest_q, prefixes=tuple(situation.case_types), exclude_prefixes=tuple(placed))
            total = store.case_count(digits, q)
            placed += situation.case_types
            if total:
                situations.append(Section("situation", store.case_rows(digits, q, limit=size, offset=offset), total,
                                          situation))
        q = _replace(rest_q, exclude_prefixes=tuple(placed)) if placed else rest_q
        other = Section("other", store.case_rows(digits, q, limit=size, offset=offset), store.case_count(digits, q))
    sections = [your_turn, *situations, other]
    names = {p.slug: p.name for p in config.producers}
    seen = store.seen_cases(user_handle, digits)
    shown = [row for s in sections for row in s.cases]
    arrivals = store.arrivals(digits, [(r.producer, r.case_key) for r in shown])
    for s in sections:
        s.cases = [_summary(r, names, handle_key, seen, arrivals) for r in s.cases]
    everything = CaseQuery(producers=tuple(visible), gate=base.gate)
    return OverviewPage(your_turn, situations, other, total=store.case_count(digits, everything),
                        shown_total=sum(s.total for s in sections), page=page,
                        has_more=any(s.total > offset + size for s in sections), sections=sections)


def _summary(row: CaseRow, names: dict, handle_key: str, seen: dict, arrivals: dict) -> CaseSummary:
    handle = case_handle(row.producer, row.case_key, handle_key)
    since = max((t for t in (seen.get(handle), seen.get(BASELINE)) if t is not None), default=None)
    unread = sum(1 for t in arrivals.get((row.producer, row.case_key), []) if since is None or t > since)
    return CaseSummary(
        producer=row.producer, producer_name=names.get(row.producer, row.producer), key=row.case_key, handle=handle,
        title=row.first_rubrik, first=EventLine(row.first_rubrik, row.first_sprak),
        latest=EventLine(row.latest_rubrik, row.latest_sprak, row.latest_at), ball_holder=BallHolder(row.ball),
        deadline=row.deadline if row.ball == BallHolder.CUSTOMER.value else None, reference=row.reference,
        unread=unread,
    )


def find_case_key(store: Store, party: Party, visible: list[str], handle: str, handle_key: str):
    """(producer, case key) whose handle this is, among the party's visible cases; None otherwise."""
    if len(handle) != 20 or not handle.isascii():
        return None
    for producer, key in store.case_keys(party.identity.digits, visible):
        if hmac.compare_digest(case_handle(producer, key, handle_key), handle):
            return producer, key
    return None
