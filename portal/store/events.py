"""Events: stored, replaced, withdrawn; their case rows are rebuilt as they change (``cases.py``)."""

from __future__ import annotations

import json

from portal.standard.models import Event

from .clock import _from_iso, _iso, now
from .database import Database
from .records import StoredEvent


def search_text(rubrik: str | None, beskrivning: str | None) -> str:
    """What a free-text search looks in: headline and description, case-folded once when the event is stored."""
    return "\n".join([rubrik or "", beskrivning or ""]).casefold()


def event_columns(e: Event) -> tuple:
    """What the events table holds of an event besides its keys and stamps: (case key, type, moment, ball, deadline,
    JSON, search text), in that order. All of it follows from the event, so an event whose columns are these is
    stored as sent."""
    return (e.case_key, e.typ, _iso(e.tidpunkt), e.ball_holder.value, e.deadline.isoformat() if e.deadline else None,
            json.dumps(e.to_json(), ensure_ascii=False), search_text(e.rubrik, e.beskrivning))


def changed_events(events: list[Event], stored: dict[str, tuple]) -> list[Event]:
    """The events to write: of each id the last one sent, unless it is stored exactly so (``stored``: id -> the
    columns of :meth:`EventsStore.stored_rows`). An incremental answer mostly repeats what is stored (it overlaps
    the last one by a day); rewriting those events rebuilt their cases and bumped the party's case version, which
    let go of every warm page kept for the party (issue 16, P8)."""
    last = {e.kundhandelse_id: e for e in events}
    return [e for i, e in last.items() if stored.get(i) != event_columns(e)]


class EventsStore:
    """Events: stored, replaced, withdrawn; their case rows are rebuilt as they change (``cases.py``)."""

    db: Database

    # --- events -------------------------------------------------------------
    # Events per write transaction. Every page view writes its audit row, and waits while another write holds
    # SQLite's lock: a 10,000-event import in one transaction per agency held it for a tenth of a second or more
    # at a time. In steps of this size no page waits long behind an import; each step keeps its case rows right.
    UPSERT_STEP = 250

    def upsert_events(self, party: str, producer: str, events: list[Event],
                      known: dict[str, tuple[str, str]] | None = None, known_all: bool = False) -> None:
        """Insert or replace events by (party, producer, kundhandelseId).

        ``first_stored_at`` keeps the moment we first got an event (unread marking
        compares it with the user's last visit); a replaced event keeps it. Written in
        steps of :attr:`UPSERT_STEP` events, a case's events together where they fit.
        ``known`` is :meth:`stored_index` of this party and producer when the caller
        has just read it (inside the same transaction): then it is not read again; ``known_all`` says it holds
        every stored event, not only the answer's (then a case none of whose events is stored gets its row from
        the events in hand).
        """
        stamp = _iso(now())
        last = {e.kundhandelse_id: e for e in events}  # an id sent twice: the later one counts, as before
        ordered = sorted(last.values(), key=lambda e: e.case_key)
        for start in range(0, len(ordered), self.UPSERT_STEP):
            self._upsert_step(party, producer, ordered[start:start + self.UPSERT_STEP], stamp, known,
                              whole=known_all and len(ordered) <= self.UPSERT_STEP)

    def _upsert_step(self, party: str, producer: str, events: list[Event], stamp: str,
                     known: dict[str, tuple[str, str]] | None, whole: bool = False) -> None:
        rows = []
        for e in events:
            case_key, typ, tidpunkt, ball, deadline, data, text = event_columns(e)
            rows.append((party, producer, e.kundhandelse_id, case_key, typ, tidpunkt, ball, deadline, data, stamp, stamp,
                         text))
        if not rows:
            return
        keys = {e.case_key for e in events}
        with self.db.transaction():
            # An event whose case reference the agency corrected leaves its old case: rebuild (or drop) that too.
            ids = [e.kundhandelse_id for e in events]
            if known is not None:
                keys |= {known[i][1] for i in ids if i in known}
            for start in range(0, len(ids) if known is None else 0, 500):
                chunk = ids[start:start + 500]
                keys |= {k for (k,) in self.db.rows(
                    f"select distinct case_key from events where party = ? and producer = ?"
                    f" and kundhandelse_id in ({','.join('?' * len(chunk))})", [party, producer, *chunk])}
            self.db.executemany(
                "insert into events (party, producer, kundhandelse_id, case_key, typ, tidpunkt, ball, deadline, data,"
                " stored_at, first_stored_at, search_text) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " on conflict (party, producer, kundhandelse_id) do update set case_key = excluded.case_key,"
                " typ = excluded.typ, tidpunkt = excluded.tidpunkt, ball = excluded.ball, deadline = excluded.deadline,"
                " data = excluded.data, stored_at = excluded.stored_at, search_text = excluded.search_text",
                rows)
            # A case none of whose events was stored before (``known`` holds all that was) is made of this step's
            # events alone when the step is the whole answer (``whole``): its row is built from them, not read back.
            fresh = None
            if whole:
                old_keys = {key for _, key in known.values()}
                fresh = {}
                for e in events:
                    if e.case_key not in old_keys:
                        fresh.setdefault(e.case_key, []).append(e)
            self._rebuild_cases(party, producer, keys, fresh, stamp)

    def stored_ids(self, party: str, producer: str) -> set[str]:
        """The ids of the events stored for this party from this producer."""
        return set(self.stored_index(party, producer))

    def stored_index(self, party: str, producer: str) -> dict[str, tuple[str, str]]:
        """id -> (type, case key) of every event stored for this party from this producer: one read that serves the
        storage cap, :meth:`upsert_events` and :meth:`delete_missing` of one full answer."""
        return {i: (typ, key) for i, typ, key in self.db.rows(
            "select kundhandelse_id, typ, case_key from events where party = ? and producer = ?", [party, producer])}

    def stored_rows(self, party: str, producer: str, ids: list[str]) -> dict[str, tuple]:
        """id -> :func:`event_columns` as stored, of those of ``ids`` stored for this party from this producer: what
        an incremental answer needs (its events' cases, for the cap which are new, and which are sent unchanged)."""
        found: dict[str, tuple] = {}
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 400):
            chunk = wanted[start:start + 400]
            for i, *columns in self.db.rows(
                    "select kundhandelse_id, case_key, typ, tidpunkt, ball, deadline, data, search_text from events"
                    f" where party = ? and producer = ? and kundhandelse_id in ({','.join('?' * len(chunk))})",
                    [party, producer, *chunk]):
                found[i] = tuple(columns)
        return found

    def stored_indexes(self, party: str, producers: list[str]) -> dict[str, dict[str, tuple[str, str]]]:
        """:meth:`stored_index` of several producers in one read: producer -> (id -> (type, case key)); every
        producer asked for is there (an empty index when nothing of it is stored)."""
        found: dict[str, dict[str, tuple[str, str]]] = {p: {} for p in producers}
        if not producers:
            return found
        for producer, i, typ, key in self.db.rows(
                "select producer, kundhandelse_id, typ, case_key from events where party = ?"
                f" and producer in ({','.join('?' * len(producers))})", [party, *producers]):
            found[producer][i] = (typ, key)
        return found

    def stored_count(self, party: str, producer: str) -> int:
        """How many events are stored for this party from this producer."""
        return self.db.scalar("select count(*) from events where party = ? and producer = ?", [party, producer])

    def delete_missing(self, party: str, producer: str, keep_ids: set[str], in_scope,
                       known: dict[str, tuple[str, str]] | None = None) -> int:
        """After a full fetch: drop stored events the producer no longer sends (withdrawn or replaced).

        Only events ``in_scope(typ)`` are considered, so a representative's narrower
        fetch never deletes what a wider one stored. ``known``: as for :meth:`upsert_events`
        (read before the answer was stored; an id stored since is kept, as the answer brought it).
        """
        index = self.stored_index(party, producer) if known is None else known
        gone = [i for i, (typ, _) in index.items() if i not in keep_ids and in_scope(typ)]
        if not gone:
            return 0
        with self.db.transaction():
            keys = {index[i][1] for i in gone}
            self.db.executemany("delete from events where party = ? and producer = ? and kundhandelse_id = ?",
                                     [(party, producer, kid) for kid in gone])
            self._rebuild_cases(party, producer, keys)
        return len(gone)

    def events(self, party: str, producers: list[str] | None = None) -> list[StoredEvent]:
        """Stored events of a party (optionally only some producers), newest first."""
        sql = "select producer, data, first_stored_at from events where party = ?"
        params: list = [party]
        if producers is not None:
            if not producers:
                return []
            sql += f" and producer in ({','.join('?' * len(producers))})"
            params += producers
        sql += " order by tidpunkt desc, kundhandelse_id"
        return [StoredEvent(p, Event.from_json(json.loads(d)), _from_iso(first))
                for p, d, first in self.db.rows(sql, params)]

    def event_types(self, party: str, producers: list[str]) -> list[tuple[str, str]]:
        """(producer, type) of every distinct event type stored for the party from these producers.

        Read from the case rows (each keeps its events' types): one row per case, not per event.
        """
        if not producers:
            return []
        found: set[tuple[str, str]] = set()
        for producer, types in self.db.rows(
                f"select producer, types from cases where party = ? and producer in ({','.join('?' * len(producers))})",
                [party, *producers]):
            found.update((producer, t) for t in (types or "").split(",") if t)
        return sorted(found)
