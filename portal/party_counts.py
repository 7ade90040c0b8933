"""Per party the user may act for: how many cases wait for the customer and how many events are new, from the cache.

For the party switcher, "Whom you can act for" and "Everyone I represent". Never asks an agency: two reads of
the store for every party at once (their case rows, the user's seen-log), then one count of new events for only
the cases that have any, however many customers an accountant has. The same rules as the overview: a case counts
only if the party's basis may see all of it (``case.visible``), and "new" is measured as the overview's
badges are (``case.new_since``, ``case.arrived_after``), so a party's "2 new" is the sum of its cards' badges.

The reads are the store's (``case_facts``, ``seen_for_parties``, ``new_events_per_party``); the counts are kept
per process until a party's case rows or the user's seen-log change (``count_versions``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask_babel import ngettext

from portal.case import agency_baseline, arrived_after, case_handle, new_since, party_handle_key, visible
from portal.representation import Party
from portal.standard.ballholder import BallHolder


@dataclass(frozen=True)
class PartyCounts:
    """What waits for one party, as far as the agencies last told us."""

    waiting: int = 0  # cases whose ball is with the customer
    new: int = 0  # events that arrived after the user's last look (the overview's "new" badges, summed)


@dataclass(frozen=True)
class CaseFact:
    """The little of a case row the counts need."""

    party: str
    producer: str
    case_key: str
    ball: str
    types: tuple[str, ...]
    last_arrival: dt.datetime | None


def read_case_facts(store, parties: list[str]) -> list[CaseFact]:
    """Every case row of these parties (one statement per few hundred parties)."""
    return [CaseFact(r[0], r[1], r[2], r[3], tuple(r[4].split(",")) if r[4] else (), _moment(r[5]))
            for r in store.case_facts(parties)]


def visible_facts(party: Party, facts: list[CaseFact], orgnr: dict[str, str]) -> list[CaseFact]:
    """The cases of ``party`` its basis may see whole, at agencies it reaches (the overview's rule)."""
    return [f for f in facts if f.party == party.identity.digits and visible(party, orgnr, f.producer, f.types)]


def with_news(party: Party, facts: list[CaseFact], seen: dict[str, dt.datetime], secret: str
              ) -> list[tuple[str, str, dt.datetime]]:
    """(producer, case key, since) of the party's cases with an event after the user's last look (pure).

    A case's handle (an HMAC) is made only for cases that arrived after their agency's first answer shown.
    """
    key = None
    out = []
    for f in facts:
        baseline = seen.get(agency_baseline(f.producer))
        if not arrived_after(f.last_arrival, baseline):  # new_since is never before the agency's baseline
            continue
        key = key or party_handle_key(secret, party.identity.digits)
        since = new_since(seen, case_handle(f.producer, f.case_key, key), f.producer)
        if arrived_after(f.last_arrival, since):
            out.append((f.producer, f.case_key, since))
    return out


def party_counts(store, parties, user_handle: str, secret: str, producers,
                 facts: list[CaseFact] | None = None) -> dict[str, PartyCounts]:
    """Per party (by its digits): cases waiting for the customer, and new events, from the cache.

    ``producers`` are the connected agencies (``config.producers``); ``parties`` those the user may act for now;
    ``facts`` their case rows when the caller has read them already.
    """
    parties = list(parties)
    digits = [p.identity.digits for p in parties]
    orgnr = {p.slug: p.orgnr for p in producers}
    key = (store.db.database, user_handle, secret, tuple(parties), tuple(sorted(orgnr.items())))
    version = store.count_versions(user_handle, digits)  # read first: what is kept is never older than it
    with _lock:
        hit = _KEPT.get(key)
        if hit is not None and hit[0] == version:
            _KEPT.move_to_end(key)
            return dict(hit[1])
    counts = _count(store, parties, digits, orgnr, user_handle, secret, facts)
    with _lock:
        _KEPT[key] = (version, counts)
        _KEPT.move_to_end(key)
        while len(_KEPT) > _KEPT_SIZE:
            _KEPT.popitem(last=False)
    return dict(counts)


# (database, user, the parties with their bases, the agencies) -> ((seen-log version, case versions), counts): the
# counts, shown on every page of a user who acts for several parties, are made anew only when one of the parties'
# case rows or the user's seen-log changed (in any instance: the versions are in the database). Per process, bounded.
_KEPT: OrderedDict = OrderedDict()
_KEPT_SIZE = 256
_lock = threading.Lock()


def _count(store, parties: list[Party], digits: list[str], orgnr: dict[str, str], user_handle: str, secret: str,
           facts: list[CaseFact] | None) -> dict[str, PartyCounts]:
    if facts is None:
        facts = read_case_facts(store, digits)
    seen = store.seen_for_parties(user_handle, digits)
    by_party: dict[str, list[CaseFact]] = {}
    for f in facts:
        by_party.setdefault(f.party, []).append(f)
    waiting: dict[str, int] = {}
    candidates: list[tuple[str, str, str, dt.datetime]] = []
    for party in parties:
        d = party.identity.digits
        shown = visible_facts(party, by_party.get(d, []), orgnr)
        waiting[d] = sum(1 for f in shown if f.ball == BallHolder.CUSTOMER.value)
        candidates += [(d, *c) for c in with_news(party, shown, seen.get(d, {}), secret)]
    new = store.new_events_per_party(candidates) if candidates else {}
    return {d: PartyCounts(waiting.get(d, 0), new.get(d, 0)) for d in digits}


def describe(counts: PartyCounts | None) -> str:
    """The counts in words ("2 väntar på dig, 1 ny"); empty when nothing waits and nothing is new."""
    if counts is None:
        return ""
    parts = []
    if counts.waiting:
        parts.append(ngettext("%(num)d waiting for you", "%(num)d waiting for you", counts.waiting))
    if counts.new:
        parts.append(ngettext("%(num)d new", "%(num)d new", counts.new))
    return ", ".join(parts)


def _moment(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

