"""Keeping a party's cached events fresh: when to ask, what to ask for, what to keep.

Per (party, producer, scope): cached events younger than ``fresh_s`` are shown as
they are; otherwise we ask again, incrementally (``startDatum`` from the last
successful fetch, overlapping by ``overlap_days``), and in full every
``full_refresh_h`` so that withdrawn or replaced events disappear. A failed
producer never deletes anything; its cached events stay, with a notice. Nor does
an incomplete answer (a 206, a failed ``delfraga`` behind a forwarder, an
unreadable event, fewer events than ``totaltAntalKundhandelser``): what it brings
is stored, nothing is deleted, and the next fetch is a full one again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from typing import Callable
from dataclasses import dataclass

from portal.case import visible
from portal.config import Config
from portal.fanout import Outcome, fan_out, in_background
from portal.producer_text import clean_event
from portal.producers import ProducerClient
from portal.representation import Party
from portal.standard.clock import now
from portal.standard.models import Kund
from portal.standard.tidpunkt import local_date
from portal.store import Store, SyncState
from portal.store.events import changed_events
from portal.timing import stage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProducerStatus:
    """What the page says about one producer for the acting party.

    Frozen: a page's agency list is kept under its statuses (``{% keep statuses %}``), compared by their own
    equality instead of field by field (about a hundred calls a page less, issue 16)."""

    slug: str
    name: str
    ok: bool
    asked: bool  # False when the cache was fresh enough
    last_success_at: dt.datetime | None
    failing_since: dt.datetime | None
    reason: str | None
    invalid: int
    foreign: int
    pending: bool = False  # still being asked: its newest cases will come on a later load
    capped: int = 0  # events left out at its last answer: the storage cap for this party was reached
    incomplete: bool = False  # it answered, but not completely: nothing was deleted
    failed_behind: tuple[str, ...] = ()  # the agencies behind it (a forwarder) that did not answer


def visible_producers(config: Config, party: Party):
    """The connected producers whose events this party's basis reaches."""
    return [p for p in config.producers if party.may_see_producer(p.orgnr)]


IN_PAGE_EVENTS = 500  # an answer in time with more events than this is stored beside the page, not before it
# How long a fetch lease holds when its holder never gives it back (an instance that died mid-fetch): no fetch
# runs past total_deadline_s, and storing even a long answer (10,000 events) takes a few seconds more.
LEASE_MARGIN_S = 15.0


def refresh(store: Store, config: Config, clients: dict[str, ProducerClient], party: Party, anvandare: str,
            correlation_id: str, *, language: str = "sv", force: bool = False,
            store_factory: Callable[[], Store] | None = None, match_language: bool = False,
            meanwhile: Callable[[], None] | None = None) -> dict[str, ProducerStatus]:
    """Bring the party's cache up to date where it is stale; return a status per visible producer.

    With ``store_factory`` the page waits at most ``page_deadline_s``: a producer still
    answering then is ``pending`` and its answer is stored when it arrives (through a
    connection of its own), so a slow agency never holds up the page. Without it, the
    call waits up to ``total_deadline_s`` and drops what is late.

    With ``match_language`` (a page), cached texts last fetched in full in another language are asked for again,
    in full, in ``language``: an English page does not show a day of Swedish texts.

    ``meanwhile`` runs once the stale agencies have been asked (at once when none is): work the page needs that
    must not delay the questions (the registry look-ups of a first page).
    """
    settings = config.settings
    moment = now()
    kund = Kund(party.identity.digits, party.identity.kind)
    plans: dict[str, tuple[SyncState, bool]] = {}
    tasks, pending = {}, set()
    holder = uuid.uuid4().hex  # this refresh, as the holder of the fetch leases it takes
    lease_s = settings.total_deadline_s + LEASE_MARGIN_S
    states = store.sync_states(kund.identifierare)
    stale: dict[str, tuple[SyncState, str, bool]] = {}  # slug -> (state, scope, other_language)
    for producer in visible_producers(config, party):
        scope = party.scope(producer.orgnr)
        state = states.get((producer.slug, scope)) or SyncState()
        # A healthy producer is asked again once its cache is stale; a failing one at most every retry_failed_s.
        if state.failing_since is None:
            fresh = state.last_success_at is not None and (moment - state.last_success_at).total_seconds() < settings.fresh_s
        else:
            fresh = state.last_error_at is not None and (moment - state.last_error_at).total_seconds() < settings.retry_failed_s
        # Cached texts in another language than the page's are asked for again, in full (issue 15, item 11).
        other_language = match_language and state.last_success_at is not None and state.language not in (None, language)
        if fresh and not force and not other_language:
            plans[producer.slug] = (state, False)
            continue
        stale[producer.slug] = (state, scope, other_language)
    # One fetch per party and agency at a time, whichever instance or worker asks: the leases are in the database,
    # taken for every stale agency in one statement.
    taken = store.take_fetch_leases(kund.identifierare, [(slug, scope) for slug, (_, scope, _) in stale.items()],
                                    holder, lease_s) if stale else set()
    for slug, (state, scope, other_language) in stale.items():
        if (slug, scope) not in taken:
            pending.add(slug)  # an earlier page's fetch is still running: do not ask twice
            plans[slug] = (state, False)
            continue
        full = other_language or state.last_full_at is None or (
            moment - state.last_full_at).total_seconds() >= settings.full_refresh_h * 3600
        since = None if full else local_date(state.last_success_at) - dt.timedelta(days=settings.overlap_days)
        plans[slug] = (state, full)
        tasks[slug] = (lambda c=clients[slug], s=since: c.fetch(kund, anvandare, correlation_id, since=s,
                                                                language=language))
    orgnr = {p.slug: p for p in config.producers}

    def late(outcome: Outcome) -> None:
        """A late answer, in a pool thread: stored through a connection of its own."""
        own = store_factory()
        try:
            state, full = plans[outcome.slug]
            _record(own, party, orgnr[outcome.slug], state, full, outcome, now(), correlation_id,
                    cap=settings.max_events_per_producer, language=language)
        except Exception:  # a late answer that cannot be stored is retried on the next page load
            log.exception("late answer not stored producer=%s correlation_id=%s", outcome.slug, correlation_id)
        finally:
            _done(own, kund.identifierare, [(outcome.slug, party.scope(orgnr[outcome.slug].orgnr))], holder)
            own.close()

    recorded: dict[str, SyncState] = {}
    deferred: set[str] = set()

    def arrived(outcomes: list[Outcome]) -> None:
        """Answers in time (those that came together), stored while the slower producers are still being waited for.

        A long one (a first fetch of a long history) is stored beside the page, as a late answer is: storing
        thousands of events takes longer than the page may wait, and the page then says it is still coming.
        """
        here = []
        for outcome in outcomes:
            if store_factory is not None and outcome.result is not None and len(outcome.result.events) > IN_PAGE_EVENTS:
                deferred.add(outcome.slug)
                in_background(late, outcome, long=True)
            else:
                here.append(outcome)
        short = all(o.result is None or len(o.result.events) <= IN_PAGE_EVENTS for o in here)
        with stage("store"):
            try:
                # Answers that came together are stored in one transaction (a BEGIN and a COMMIT for all). What
                # the full ones need of what is stored is read in one statement, and their writes go together
                # (each statement once for all the agencies' rows: the events, the case rows, the sync states).
                with store.transaction() if short else contextlib.nullcontext():
                    indexes = store.stored_indexes(
                        kund.identifierare, [o.slug for o in here if o.result is not None and plans[o.slug][1]]
                    ) if short else {}
                    with store.deferred_writes() if short else contextlib.nullcontext():
                        for outcome in here:
                            state, full = plans[outcome.slug]
                            recorded[outcome.slug] = _record(
                                store, party, orgnr[outcome.slug], state, full, outcome, moment, correlation_id,
                                cap=settings.max_events_per_producer, language=language,
                                known_index=indexes.get(outcome.slug))
            finally:  # stored or not, this page asks no more: the next one may
                _done(store, kund.identifierare, [(o.slug, party.scope(orgnr[o.slug].orgnr)) for o in here], holder)

    if tasks:
        deadline = settings.page_deadline_s if store_factory else settings.total_deadline_s
        # However long the page waits, no fetch runs past total_deadline_s (a trickling agency frees its slot).
        outcomes = fan_out(tasks, deadline, late if store_factory else None, each=arrived,
                           per_producer=settings.calls_per_producer, fetch_deadline_s=settings.total_deadline_s,
                           meanwhile=meanwhile)
    else:
        if meanwhile is not None:
            meanwhile()
        outcomes = {}
    statuses = {}
    for producer in visible_producers(config, party):
        state = plans[producer.slug][0]
        outcome = outcomes.get(producer.slug)
        if outcome is not None and outcome.failure == "pending" or producer.slug in deferred:
            pending.add(producer.slug)
        elif producer.slug in recorded:
            state = recorded[producer.slug]
        elif outcome is not None:  # missed the deadline with no late handling: recorded as a failure now
            arrived([outcome])
            state = recorded[producer.slug]
        statuses[producer.slug] = ProducerStatus(
            producer.slug, producer.name, ok=state.failing_since is None, asked=outcome is not None,
            last_success_at=state.last_success_at, failing_since=state.failing_since,
            reason=state.last_error if state.failing_since else None, invalid=state.invalid, foreign=state.foreign,
            pending=producer.slug in pending, capped=state.capped,
            incomplete=state.failing_since is None and state.incomplete is not None,
            failed_behind=state.failed_behind if state.failing_since is None else (),
        )
    return statuses


def _done(store: Store, party: str, held: list[tuple[str, str]], holder: str) -> None:
    """The answers are stored (or their failures recorded): the next page may ask these agencies again."""
    if not held:
        return
    try:
        store.release_fetch_leases(party, held, holder)
    except Exception:  # the leases then run out by themselves
        log.exception("fetch leases not given back producers=%s", ",".join(p for p, _ in held))


def _record(store: Store, party: Party, producer, state: SyncState, full: bool, outcome: Outcome,
            moment: dt.datetime, correlation_id: str, *, cap: int = 0, language: str | None = None,
            known_index: dict | None = None) -> SyncState:
    """Store one producer's answer (or its failure) and return the new sync state.

    ``known_index``: :meth:`Store.stored_index` of this party and producer, read by the caller in the same
    transaction (for a full answer): not read again."""
    digits, scope = party.identity.digits, party.scope(producer.orgnr)
    if outcome.result is not None:
        result = outcome.result
        if result.invalid or result.foreign:
            log.warning("producer sent bad events producer=%s invalid=%d foreign=%d correlation_id=%s",
                        producer.slug, result.invalid, result.foreign, correlation_id)
        if not result.complete:
            log.warning("incomplete answer, nothing deleted producer=%s why=%s correlation_id=%s",
                        producer.slug, "; ".join(result.incomplete), correlation_id)
        granted = [clean_event(e) for e in result.events if party.may_see(producer.orgnr, e.typ)]
        # A short answer is stored in one transaction that reads what is stored once (for the cap, the cases of
        # replaced events and the deletions). A long one is written in steps (``upsert_events``), so no page
        # waits long for the write lock, and each step reads what it needs.
        short = len(granted) <= IN_PAGE_EVENTS
        with store.transaction() if short else contextlib.nullcontext():
            # A full answer may prove stored events gone: it needs all that is stored. An incremental one (most
            # page loads of a long history) needs only its own events' rows and, for the cap, how many there are.
            known, count = None, None
            if short or cap:
                if full and short and known_index is not None:
                    known = known_index
                elif full or not short:
                    known = store.stored_index(digits, producer.slug)
                else:
                    stored = store.stored_rows(digits, producer.slug, [e.kundhandelse_id for e in granted])
                    known = {i: (typ, key) for i, (key, typ, *_) in stored.items()}  # as stored_index gives it
                    granted = changed_events(granted, stored)  # an event sent again as stored is not written again
                    # The cap needs the count only when something new came.
                    count = store.stored_count(digits, producer.slug) if cap and any(
                        e.kundhandelse_id not in known for e in granted) else None
            granted, capped = within_cap(granted, set(known), cap, count) if cap else (granted, 0)
            if capped:
                log.warning("storage cap reached producer=%s left_out=%d correlation_id=%s",
                            producer.slug, capped, correlation_id)
            store.upsert_events(digits, producer.slug, granted, known if short else None, known_all=short and full)
            # Only a complete full answer proves an event gone; after an incomplete one the next fetch is full again.
            full_done = full and result.complete
            if full_done:
                store.delete_missing(digits, producer.slug, {e.kundhandelse_id for e in granted},
                                     lambda typ: party.may_see(producer.orgnr, typ), known if short else None)
            state = SyncState(last_success_at=moment, last_full_at=moment if full_done else state.last_full_at,
                              invalid=result.invalid, foreign=result.foreign, capped=capped,
                              incomplete="; ".join(result.incomplete) or None,
                              failed_behind=tuple(result.failed_behind),
                              language=language if full_done else state.language)
            store.save_sync_state(digits, producer.slug, scope, state)
        return state
    log.warning("producer failed producer=%s reason=%s seconds=%.2f correlation_id=%s",
                producer.slug, outcome.failure, outcome.seconds, correlation_id)
    state = SyncState(state.last_success_at, state.last_full_at, moment, state.failing_since or moment,
                      outcome.failure, state.invalid, state.foreign, state.capped, state.incomplete,
                      state.failed_behind, state.language)
    store.save_sync_state(digits, producer.slug, scope, state)
    return state


def within_cap(events: list, stored: set[str], cap: int, stored_count: int | None = None) -> tuple[list, int]:
    """What to store so the party's events from one producer stay within ``cap``, and how many are left out.

    Every event already stored is kept (it is only replaced); of the new ones, the
    newest that still fit. Nothing stored is ever dropped to make room. ``stored`` holds
    at least the ids of ``events`` that are stored; ``stored_count`` is how many events
    are stored in all (default: ``len(stored)``, when ``stored`` is all of them).
    """
    new = [e for e in events if e.kundhandelse_id not in stored]
    room = max(cap - (len(stored) if stored_count is None else stored_count), 0)
    if len(new) <= room:
        return events, 0
    fits = {id(e) for e in sorted(new, key=lambda e: e.tidpunkt, reverse=True)[:room]}
    return [e for e in events if e.kundhandelse_id in stored or id(e) in fits], len(new) - room


def visible_events(store: Store, config: Config, party: Party):
    """The events of the party's cached cases this basis may see, newest first (the last gate before a template).

    Whole cases, by the same rule as the overview and the case page (``case.visible``): a case with one
    event outside the mandate is left out entirely, so no page shows a case that its own link would refuse.
    """
    orgnr = {p.slug: p.orgnr for p in visible_producers(config, party)}
    stored = store.events(party.identity.digits, list(orgnr))
    types: dict[tuple[str, str], list[str]] = {}
    for s in stored:
        types.setdefault((s.producer, s.event.case_key), []).append(s.event.typ)
    shown = {key for key, case_types in types.items() if visible(party, orgnr, key[0], case_types)}
    return [s for s in stored if (s.producer, s.event.case_key) in shown]
