"""Fetching news for "Everyone I represent" in the background, a few customers at a time.

The list reads the cache only, so it never waits, whatever an accountant's count of customers. How old each
customer's cached answers are is read in one query of the sync states; a press of "Fetch news" (a plain form)
asks the agencies again for the ``BATCH`` customers asked longest ago, in a background thread, one customer
after the other: 300 customers never mean 300 x 8 calls at once, at most one customer's agencies are asked at a
time per user, and a user whose earlier fetch still runs starts no second one. Each customer is asked exactly as
its overview would (``sync.refresh``: the basis's agencies and scope, the same cache rules and deadlines).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from portal.representation import Party

log = logging.getLogger(__name__)

BATCH = 5  # customers fetched per press
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="across-refresh")
_running: dict[str, tuple[str, ...]] = {}  # user handle -> the parties (digits) being fetched for them now
_lock = threading.Lock()


@dataclass(frozen=True)
class Age:
    """How old a party's cached answers are, over the agencies its basis reaches."""

    answered_at: dt.datetime | None  # the oldest last answer; None: some agency has never answered for it
    asked_at: dt.datetime | None  # the oldest last attempt (answer or failure); None: some agency never asked


def read_ages(store, parties, producers) -> dict[str, Age]:
    """Per party (digits): the age of its cached answers, from the sync states (one statement per few hundred)."""
    parties = list(parties)
    rows = store.sync_times([p.identity.digits for p in parties])
    return {p.identity.digits: age_of(p, producers, rows) for p in parties}


def age_of(party: Party, producers, rows: dict) -> Age:
    """The age of one party's answers over the agencies its basis reaches (pure)."""
    answered, asked = [], []
    for producer in producers:
        if not party.may_see_producer(producer.orgnr):
            continue
        success, error = rows.get((party.identity.digits, producer.slug, party.scope(producer.orgnr)), (None, None))
        answered.append(success)
        attempts = [t for t in (success, error) if t is not None]
        asked.append(max(attempts) if attempts else None)
    if not answered:
        return Age(None, None)
    return Age(None if None in answered else min(answered), None if None in asked else min(asked))


def is_stale(age: Age, moment: dt.datetime, fresh_s: float) -> bool:
    """Whether some agency of the party was last asked more than ``fresh_s`` ago (or never)."""
    return age.asked_at is None or (moment - age.asked_at).total_seconds() >= fresh_s


def stalest(parties, ages: dict[str, Age], moment: dt.datetime, fresh_s: float, limit: int | None = None
            ) -> list[Party]:
    """The stale parties asked longest ago (never asked first), at most ``limit`` (default ``BATCH``) (pure).

    Ordered by the last attempt, not the last answer: an agency that keeps failing does not keep its
    customer first in line while the others wait.
    """
    stale = [p for p in parties if is_stale(ages.get(p.identity.digits, Age(None, None)), moment, fresh_s)]
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    stale.sort(key=lambda p: (ages.get(p.identity.digits, Age(None, None)).asked_at or never, p.name))
    return stale[:BATCH if limit is None else limit]


def running(user_handle: str) -> tuple[str, ...]:
    """The parties (digits) a fetch started by this user is still asking about; empty when none runs."""
    with _lock:
        return _running.get(user_handle, ())


def running_any() -> bool:
    """Whether a fetch runs in this process for anyone (for tests and shutdown)."""
    with _lock:
        return bool(_running)


def start(user_handle: str, parties: list[Party], fetch_one: Callable[[Party], None]) -> bool:
    """Fetch ``parties`` one after the other in the background; False if this user's earlier fetch still runs."""
    if not parties:
        return False
    with _lock:
        if user_handle in _running:
            return False
        _running[user_handle] = tuple(p.identity.digits for p in parties)
    try:
        _pool.submit(_run, user_handle, parties, fetch_one)
    except RuntimeError:  # the pool is shutting down with the process
        with _lock:
            _running.pop(user_handle, None)
        return False
    return True


def _run(user_handle: str, parties: list[Party], fetch_one: Callable[[Party], None]) -> None:
    try:
        for party in parties:
            try:
                fetch_one(party)
            except Exception:  # one customer's failure is that customer's: the next is still asked
                log.exception("background fetch failed basis=%s", party.basis)
    finally:
        with _lock:
            _running.pop(user_handle, None)

