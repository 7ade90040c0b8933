"""A case row (the overview's read model) says what the case's events say, however many there are.

The row is rebuilt in the database from the case's events (counts, newest arrival, the newest and the oldest
event); these tests compare it with the same facts worked out here from the events themselves, for a case with
ties in time, several types and events stored at different moments. SQLite or PostgreSQL (PORTAL_TEST_BACKEND).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from builders import PNR, make_event

from portal.standard.models import Arende, Kund
from portal.store import clock as store_clock

ME = Kund(PNR, "Personnummer")
CASE = Arende("BN 2026-17", "Producentarendereferens")


def _event(id_, minute, typ, rubrik, **kw):
    when = dt.datetime(2026, 9, 14, 10, minute, tzinfo=dt.timezone.utc)
    return make_event(id_, kund=ME, arende=CASE, tidpunkt=when, typ=typ, rubrik=rubrik, **kw)


def test_a_case_row_of_many_events_names_its_newest_and_oldest_event_and_counts_them(store, monkeypatch):
    first_batch = [_event(f"e{n:03d}", n % 50, f"TANUM.BYGGLOV.STEG{n % 3}", f"Händelse {n}") for n in range(120)]
    # Two events at the same, latest minute: the larger id is the newest (as the case page orders them).
    first_batch += [_event("z-tie-a", 59, "TANUM.BYGGLOV.BESLUT", "Beslut A", klart=True),
                    _event("z-tie-b", 59, "TANUM.BYGGLOV.KOMPLETTERING", "Komplettera", kraver=True)]
    store.upsert_events(PNR, "tanum", first_batch)
    later = store_clock.now() + dt.timedelta(days=3)  # the second answer arrives days after the first
    import portal.store.events as events_mod
    monkeypatch.setattr(events_mod, "now", lambda: later)
    # A later answer replaces one old event (its text) and adds an oldest one: both arrive later.
    store.upsert_events(PNR, "tanum", [_event("e007", 7, "TANUM.BYGGLOV.STEG1", "Händelse 7 (rättad)"),
                                       _event("a-oldest", 0, "TANUM.BYGGLOV.MOTTAGEN", "Ansökan mottagen")])
    key = first_batch[0].case_key
    row = store.case_rows_for(PNR, [("tanum", key)])[("tanum", key)]
    stored = store.case_events(PNR, "tanum", key)
    assert row.events == len(stored) == 123
    newest = max(stored, key=lambda s: (s.event.tidpunkt, s.event.kundhandelse_id)).event
    oldest = min(stored, key=lambda s: (s.event.tidpunkt, s.event.kundhandelse_id)).event
    assert (newest.kundhandelse_id, oldest.kundhandelse_id) == ("z-tie-b", "a-oldest")
    assert (row.latest_rubrik, row.latest_typ, row.ball) == ("Komplettera", newest.typ, newest.ball_holder.value)
    assert row.first_rubrik == "Ansökan mottagen"
    assert row.latest_at == newest.tidpunkt
    assert set(row.types) == {s.event.typ for s in stored}
    assert row.last_arrival is not None and row.last_arrival.startswith(later.date().isoformat())
    assert row.reference == "BN 2026-17"


def test_a_case_whose_events_are_all_withdrawn_loses_its_row(store):
    events = [_event("x1", 1, "TANUM.BYGGLOV.MOTTAGEN", "Mottagen"), _event("x2", 2, "TANUM.BYGGLOV.BESLUT", "Beslut")]
    store.upsert_events(PNR, "tanum", events)
    key = events[0].case_key
    assert store.case_rows_for(PNR, [("tanum", key)])
    store.delete_missing(PNR, "tanum", set(), lambda typ: True)
    assert store.case_rows_for(PNR, [("tanum", key)]) == {}


def test_a_new_cases_row_built_from_the_events_in_hand_is_the_row_the_database_builds(store):
    # A new party's first answer: every case is new, and its row is built from the events without reading them
    # back (issue 16). It must be the row a rebuild from the stored events gives, ties in time included.
    other = Arende("BN 2026-99", "Producentarendereferens")
    when = dt.datetime(2026, 9, 14, 10, 0, tzinfo=dt.timezone.utc)
    answer = [dataclasses.replace(_event("n1", 1, "TANUM.BYGGLOV.MOTTAGEN", "Ansökan mottagen"), sprak="en"),
              _event("n2", 5, "TANUM.BYGGLOV.KOMPLETTERING", "Komplettera", kraver=True),
              _event("n3", 3, "TANUM.BYGGLOV.STEG1", "Steg 1"),
              # a case of one event, and a case whose newest moment two events share (the database settles it)
              make_event("o1", kund=ME, arende=other, tidpunkt=when, typ="TANUM.BYGGLOV.BESLUT", rubrik="Beslut",
                         klart=True),
              make_event("t1", kund=ME, arende=Arende("BN 2026-98", "Producentarendereferens"), tidpunkt=when,
                         typ="TANUM.BYGGLOV.STEG1", rubrik="Tie 1"),
              make_event("t2", kund=ME, arende=Arende("BN 2026-98", "Producentarendereferens"), tidpunkt=when,
                         typ="TANUM.BYGGLOV.STEG2", rubrik="Tie 2")]
    with store.transaction():
        store.upsert_events(PNR, "tanum", answer, store.stored_index(PNR, "tanum"), known_all=True)
    keys = [("tanum", k) for k in sorted({e.case_key for e in answer})]
    built = store.case_rows_for(PNR, keys)
    assert len(built) == 3
    with store.transaction():  # the same cases rebuilt from what is stored
        store._rebuild_cases(PNR, "tanum", {k for _, k in keys})
    assert store.case_rows_for(PNR, keys) == built
    row = built[("tanum", answer[0].case_key)]
    assert (row.events, row.latest_rubrik, row.first_rubrik, row.first_sprak) == (3, "Komplettera",
                                                                                  "Ansökan mottagen", "en")
