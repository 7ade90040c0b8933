"""The overview's fast path: pages of case rows, so the cost follows the page, not the history.

The overview reads the store's case rows (one per case, kept in step with the
events) a section at a time: "your turn" by earliest deadline, then each
situation, then the rest, each limited to one page. A person with ten thousand
events waits no longer than one with ten. Only the shown cases get a handle and
an unread count.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from portal.case import CaseSummary, EventLine, arrived_after, case_handle, gate_for, new_since
from portal.case_names import case_type_of, mark_twins, type_name
from portal.config import Config, SituationConfig
from portal.filters import Filters
from portal.representation import Party
from portal.situations import applies
from portal.standard.ballholder import BallHolder
from portal.standard.eventtypes import matches_any
from portal.standard.tidpunkt import STOCKHOLM
from portal.store import CaseQuery, CaseRow, Store

SECTION_SIZE = 20


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


def base_query(config: Config, party: Party, filters: Filters, visible: list[str]) -> CaseQuery:
    start = end = None
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time(), STOCKHOLM).astimezone(dt.timezone.utc).isoformat()
    if filters.date_to:
        after = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(), STOCKHOLM)
        end = after.astimezone(dt.timezone.utc).isoformat()
    situation = next((s for s in config.situations if s.slug == filters.situation), None)
    return CaseQuery(
        producers=tuple(visible), gate=gate_for(party, config.producers), ball=filters.status or None,
        producer=filters.producer or None, prefixes=tuple(situation.case_types) if situation else (),
        text=filters.q.casefold(), start_utc=start, end_utc=end,
    )


def overview_page(store: Store, config: Config, party: Party, filters: Filters, visible: list[str], *,
                  handle_key: str, user_handle: str, page: int = 0, size: int = SECTION_SIZE,
                  type_names: dict | None = None, locale: str = "sv",
                  seen: dict | None = None) -> OverviewPage:
    """The sections of one overview page, each at most ``size`` cases, ``page`` pages in.

    One light read of every matching case sorts them into sections (your turn, each situation in config
    order, the rest); full rows, handles and unread counts are made only for the cases on the page.
    """
    digits = party.identity.digits
    base = base_query(config, party, filters, visible)
    version, (your_turn, situation_members, rest, index_size, total) = _sections(
        store, config, party, filters, visible, base)
    offset = page * size
    chosen = [("your_turn", None, your_turn), *[("situation", s, m) for s, m in situation_members], ("other", None, rest)]
    shown_keys = [(c[0], c[1]) for _, _, members in chosen for c in members[offset:offset + size]]
    kept = _kept(store.db.database, digits, version)
    rows = kept.rows_for(store, digits, shown_keys)
    names = {p.slug: p.name for p in config.producers}
    if seen is None:  # the page read it already (``seen``: the user's seen-log of this party)
        seen = store.seen_cases(user_handle, digits)
    handles = {k: case_handle(k[0], k[1], handle_key) for k in rows}
    # New is measured per agency from the first page that showed its answer (case.new_since).
    since = {k: new_since(seen, handles[k], k[0]) for k in rows}
    # Only a case with an event that came after the user's last look needs counting; most have none.
    unread = store.unread_counts(digits, [(*k, since[k]) for k, r in rows.items() if _arrived_after(r, since[k])])
    sections = []
    for kind, situation, members in chosen:
        page_rows = [rows[(c[0], c[1])] for c in members[offset:offset + size] if (c[0], c[1]) in rows]
        sections.append(Section(kind, [_summary(r, names, handles, unread) for r in page_rows],
                                len(members), situation))
    _name(kept, store, digits, [c for s in sections for c in s.cases], type_names or {}, locale)
    return OverviewPage(sections[0], sections[1:-1], sections[-1], total=total, shown_total=index_size,
                        page=page, has_more=any(len(m) > offset + size for _, _, m in chosen), sections=sections)


# (party, what may be seen, filters) -> (case version, sections): the sorting of a party's cases is redone only
# when its case rows change. Per process, bounded.
_SECTION_CACHE: OrderedDict = OrderedDict()
_SECTION_CACHE_SIZE = 256
_section_lock = threading.Lock()


def _sections(store: Store, config: Config, party: Party, filters: Filters, visible: list[str], base: CaseQuery):
    """-> (the party's case version, read first, and the sorting made at it)."""
    digits = party.identity.digits
    key = (store.db.database, config.situations, digits, party.basis, party.grants, tuple(visible),
           tuple(sorted(filters.as_args().items())))
    version = store.case_version(digits)
    with _section_lock:
        hit = _SECTION_CACHE.get(key)
        if hit is not None and hit[0] == version:
            _SECTION_CACHE.move_to_end(key)
            return version, hit[1]
    index = store.case_index(digits, base)
    everything = index if not filters.active else store.case_index(
        digits, CaseQuery(producers=tuple(visible), gate=base.gate))
    # A situation applies only to a party with one of its defining cases (a bakery's VAT is no aquaculture).
    party_types = {c[2] for c in everything}
    applying = [g for g in config.situations if applies(g, party_types)]
    if filters.situation and not any(g.slug == filters.situation for g in applying):
        index = []
    customer = BallHolder.CUSTOMER.value
    your_turn = sorted((c for c in index if c[3] == customer), key=lambda c: (c[4] is None, c[4] or ""))
    rest = [c for c in index if c[3] != customer]
    groups = () if filters.situation else applying
    # A case goes to the first situation its latest type falls under; types are few, so decide once per type.
    group_of: dict[str, int | None] = {}
    for typ in {c[2] for c in rest}:
        group_of[typ] = next((i for i, g in enumerate(groups) if matches_any(typ, g.case_types)), None)
    buckets: dict[int | None, list] = {}
    for c in rest:
        buckets.setdefault(group_of[c[2]], []).append(c)
    situation_members = [(g, buckets[i]) for i, g in enumerate(groups) if buckets.get(i)]
    rest = buckets.get(None, [])
    total = len(everything)
    result = (your_turn, situation_members, rest, len(index), total)
    with _section_lock:
        _SECTION_CACHE[key] = (version, result)
        while len(_SECTION_CACHE) > _SECTION_CACHE_SIZE:
            _SECTION_CACHE.popitem(last=False)
    return version, result


class _Kept:
    """What this process has read of a party's case rows (full rows, case starts) at one case version.

    A case row changes only with the party's case version (``CasesStore._rebuild_cases`` bumps it in the same
    transaction), so what was read at a version serves every later page that reads the same version: a warm
    overview reads the version, not its rows again. What is kept is read after the version was, so it is never
    older than the version says (a write in between only makes the next page miss).
    """

    def __init__(self, version: int):
        self.version = version
        self.rows: dict[tuple[str, str], CaseRow] = {}
        self.starts: dict[tuple[str, str], dt.datetime | None] = {}
        self.lock = threading.Lock()

    def rows_for(self, store: Store, digits: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], CaseRow]:
        with self.lock:
            missing = [k for k in keys if k not in self.rows]
        if missing:
            found = store.case_rows_for(digits, missing)
            with self.lock:
                self.rows.update(found)
        with self.lock:
            return {k: self.rows[k] for k in keys if k in self.rows}

    def starts_for(self, store: Store, digits: str, keys: list[tuple[str, str]]) -> dict:
        with self.lock:
            missing = [k for k in keys if k not in self.starts]
        if missing:
            found = store.case_starts(digits, missing)
            with self.lock:
                self.starts.update({k: found.get(k) for k in missing})
        with self.lock:
            return {k: self.starts[k] for k in keys}


# (database, party) -> what was read of its case rows at its latest case version seen here. Per process, bounded.
_KEPT: OrderedDict = OrderedDict()
_KEPT_SIZE = 256
_KEPT_ROWS_MAX = 2000  # a party whose pages were read far: start over rather than keep its whole history


def _kept(database: str, digits: str, version: int) -> _Kept:
    key = (database, digits)
    with _section_lock:
        kept = _KEPT.get(key)
        if kept is None or kept.version != version or len(kept.rows) > _KEPT_ROWS_MAX:
            kept = _KEPT[key] = _Kept(version)
        _KEPT.move_to_end(key)
        while len(_KEPT) > _KEPT_SIZE:
            _KEPT.popitem(last=False)
        return kept


def _name(kept: _Kept, store: Store, digits: str, shown: list[CaseSummary], names: dict, locale: str) -> None:
    """Title the shown cases by their type's catalog name; a twin without a reference gets its start date."""
    for c in shown:
        found = type_name(case_type_of(c.latest_typ), names, locale)
        if found:
            c.title, c.title_lang = found
    mark_twins(shown)
    twins = [c for c in shown if c.twin and not c.reference]
    starts = kept.starts_for(store, digits, [(c.producer, c.key) for c in twins]) if twins else {}
    for c in twins:
        c.started = starts.get((c.producer, c.key))


def _arrived_after(row: CaseRow, since: dt.datetime | None) -> bool:
    """Whether the case's newest arrival is new (``case.arrived_after``)."""
    return arrived_after(dt.datetime.fromisoformat(row.last_arrival) if row.last_arrival else None, since)


def _summary(row: CaseRow, names: dict, handles: dict, unread: dict) -> CaseSummary:
    key = (row.producer, row.case_key)
    return CaseSummary(
        producer=row.producer, producer_name=names.get(row.producer, row.producer), key=row.case_key,
        handle=handles[key], title=row.first_rubrik, title_lang=row.first_sprak, latest_typ=row.latest_typ,
        first=EventLine(row.first_rubrik, row.first_sprak),
        latest=EventLine(row.latest_rubrik, row.latest_sprak, row.latest_at), ball_holder=BallHolder(row.ball),
        deadline=row.deadline if row.ball == BallHolder.CUSTOMER.value else None, reference=row.reference,
        unread=unread.get(key, 0),
    )


def deadline_cases(store: Store, config: Config, party: Party, visible: list[str], *,
                   handle_key: str) -> list[CaseSummary]:
    """The cases waiting for the customer with a last day, newest first, from the case rows (the calendar feed).

    The list's rule applies: a case is there only if this basis may see every one of its events.
    """
    digits = party.identity.digits
    query = CaseQuery(producers=tuple(visible), gate=gate_for(party, config.producers),
                      ball=BallHolder.CUSTOMER.value)
    keys = [(c[0], c[1]) for c in store.case_index(digits, query) if c[4]]
    rows = store.case_rows_for(digits, keys)
    names = {p.slug: p.name for p in config.producers}
    handles = {k: case_handle(k[0], k[1], handle_key) for k in rows}
    return [_summary(rows[k], names, handles, {}) for k in keys if k in rows]


def find_case_key(store: Store, party: Party, visible: list[str], handle: str, handle_key: str):
    """(producer, case key) whose handle this is, among the party's visible cases; None otherwise.

    A handle is a keyed hash of its case, so finding one means hashing the party's cases: ten thousand of them
    for a long history, most of a case page's time (issue 16). The handles of a party's cases are made once per
    case version (the set of cases changes only with it) and kept per process, for the few parties seen last.
    """
    found = _find(store, party, visible, handle, handle_key)
    return None if found is None else found[0]


def find_case_events(store: Store, party: Party, visible: list[str], handle: str, handle_key: str) -> list:
    """The stored events (newest first) of the party's visible case with this handle; [] when there is none.

    Read and parsed once per case version and kept per process for the cases seen last (a case page that is
    opened again, or polled, does not parse a long case's events anew); a changed case is read again at once.
    """
    found = _find(store, party, visible, handle, handle_key)
    if found is None:
        return []
    (producer, case_key), version = found
    key = (store.db.database, party.identity.digits, producer, case_key)
    with _section_lock:
        hit = _EVENTS.get(key)
        if hit is not None and hit[0] == version:
            _EVENTS.move_to_end(key)
            return list(hit[1])
    stored = store.case_events(party.identity.digits, producer, case_key)
    if len(stored) <= _EVENTS_KEPT_MAX:
        with _section_lock:
            _EVENTS[key] = (version, tuple(stored))
            _EVENTS.move_to_end(key)
            while sum(len(v[1]) for v in _EVENTS.values()) > _EVENTS_KEPT_MAX:
                _EVENTS.popitem(last=False)
    return stored


_EVENTS: OrderedDict = OrderedDict()  # (database, party, producer, case key) -> (case version, stored events)
_EVENTS_KEPT_MAX = 5000  # events kept in all (a few megabytes): the cases seen last


def _find(store: Store, party: Party, visible: list[str], handle: str, handle_key: str):
    """((producer, case key), case version) of the visible case with this handle, or None."""
    if len(handle) != 20 or not handle.isascii():
        return None
    digits = party.identity.digits
    version = store.case_version(digits)  # read before the keys and events: what is kept is never older than it
    found = _handles(store, digits, handle_key, version).get(handle)
    if found is None or found[0] not in visible:
        return None
    return found, version


_HANDLES: OrderedDict = OrderedDict()  # (database, party, handle key) -> (case version, {handle: (producer, key)})
_HANDLES_PARTIES = 16  # a long history's map is about a megabyte: only the parties seen last are kept


def _handles(store: Store, digits: str, handle_key: str, version: int) -> dict[str, tuple[str, str]]:
    key = (store.db.database, digits, handle_key)
    with _section_lock:
        hit = _HANDLES.get(key)
        if hit is not None and hit[0] == version:
            _HANDLES.move_to_end(key)
            return hit[1]
    handles = {case_handle(producer, case_key, handle_key): (producer, case_key)
               for producer, case_key in store.case_keys(digits)}
    with _section_lock:
        _HANDLES[key] = (version, handles)
        _HANDLES.move_to_end(key)
        while len(_HANDLES) > _HANDLES_PARTIES:
            _HANDLES.popitem(last=False)
    return handles
