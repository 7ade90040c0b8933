"""Keeping a party's cached events fresh: when to ask, what to ask for, what to keep.

Per (party, producer, scope): cached events younger than ``fresh_s`` are shown as
they are; otherwise we ask again, incrementally (``startDatum`` from the last
successful fetch, overlapping by ``overlap_days``), and in full every
``full_refresh_h`` so that withdrawn or replaced events disappear. A failed
producer never deletes anything; its cached events stay, with a notice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from portal.config import Config
from portal.fanout import fan_out
from portal.producers import ProducerClient
from portal.representation import Party
from portal.standard.models import Kund
from portal.standard.tidpunkt import local_date
from portal.store import Store, SyncState, now

log = logging.getLogger(__name__)


@dataclass
class ProducerStatus:
    """What the page says about one producer for the acting party."""

    slug: str
    name: str
    ok: bool
    asked: bool  # False when the cache was fresh enough
    last_success_at: dt.datetime | None
    failing_since: dt.datetime | None
    reason: str | None
    invalid: int
    foreign: int


def visible_producers(config: Config, party: Party):
    """The connected producers whose events this party's basis reaches."""
    return [p for p in config.producers if party.may_see_producer(p.orgnr)]


def refresh(store: Store, config: Config, clients: dict[str, ProducerClient], party: Party, anvandare: str,
            correlation_id: str, *, language: str = "sv", force: bool = False) -> dict[str, ProducerStatus]:
    """Bring the party's cache up to date where it is stale; return a status per visible producer."""
    settings = config.settings
    moment = now()
    kund = Kund(party.identity.digits, party.identity.kind)
    plans: dict[str, tuple[SyncState, bool]] = {}
    tasks = {}
    for producer in visible_producers(config, party):
        state = store.sync_state(kund.identifierare, producer.slug, party.scope(producer.orgnr))
        # A failing producer is asked again on every load; a healthy one only once its cache is stale.
        fresh = (state.failing_since is None and state.last_success_at is not None
                 and (moment - state.last_success_at).total_seconds() < settings.fresh_s)
        if fresh and not force:
            plans[producer.slug] = (state, False)
            continue
        full = state.last_full_at is None or (moment - state.last_full_at).total_seconds() >= settings.full_refresh_h * 3600
        since = None if full else local_date(state.last_success_at) - dt.timedelta(days=settings.overlap_days)
        plans[producer.slug] = (state, full)
        client = clients[producer.slug]
        tasks[producer.slug] = (lambda c=client, s=since: c.fetch(kund, anvandare, correlation_id, since=s,
                                                                  language=language))
    outcomes = fan_out(tasks, settings.total_deadline_s) if tasks else {}
    statuses = {}
    for producer in visible_producers(config, party):
        state, full = plans[producer.slug]
        scope = party.scope(producer.orgnr)
        outcome = outcomes.get(producer.slug)
        if outcome is not None and outcome.result is not None:
            result = outcome.result
            if result.invalid or result.foreign:
                log.warning("producer sent bad events producer=%s invalid=%d foreign=%d correlation_id=%s",
                            producer.slug, result.invalid, result.foreign, correlation_id)
            granted = [e for e in result.events if party.may_see(producer.orgnr, e.typ)]
            store.upsert_events(kund.identifierare, producer.slug, granted)
            if full and result.complete:
                store.delete_missing(kund.identifierare, producer.slug, {e.kundhandelse_id for e in granted},
                                     lambda typ: party.may_see(producer.orgnr, typ))
            state = SyncState(last_success_at=moment, last_full_at=moment if full else state.last_full_at,
                              invalid=result.invalid, foreign=result.foreign)
            store.save_sync_state(kund.identifierare, producer.slug, scope, state)
        elif outcome is not None:
            log.warning("producer failed producer=%s reason=%s seconds=%.2f correlation_id=%s",
                        producer.slug, outcome.failure, outcome.seconds, correlation_id)
            state = SyncState(state.last_success_at, state.last_full_at, moment, state.failing_since or moment,
                              outcome.failure, state.invalid, state.foreign)
            store.save_sync_state(kund.identifierare, producer.slug, scope, state)
        statuses[producer.slug] = ProducerStatus(
            producer.slug, producer.name, ok=state.failing_since is None, asked=outcome is not None,
            last_success_at=state.last_success_at, failing_since=state.failing_since,
            reason=state.last_error if state.failing_since else None, invalid=state.invalid, foreign=state.foreign,
        )
    return statuses


def visible_events(store: Store, config: Config, party: Party):
    """The party's cached events this basis may see, newest first (the last gate before a template)."""
    producers = {p.slug: p for p in visible_producers(config, party)}
    stored = store.events(party.identity.digits, list(producers))
    return [s for s in stored if party.may_see(producers[s.producer].orgnr, s.event.typ)]
