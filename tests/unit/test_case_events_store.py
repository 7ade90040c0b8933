"""The store's read of many cases' events at once (``events_of_cases``) against one case at a time (``case_events``).

The store is a real database (``testdb``: SQLite, or PostgreSQL with ``PORTAL_TEST_BACKEND=postgresql``).
"""

from __future__ import annotations

from builders import PNR, PNR2, make_event

from portal.standard.models import Arende, Kund


def _case(party: str, number: int, events: int) -> list:
    """``events`` events of case BN <number>, an hour apart, plus one of the same hour (ties break on the id)."""
    kund, arende = Kund(party, "Personnummer"), Arende(f"BN {number}", "Diarienummer")
    made = [make_event(f"{party}-{number}-{i}", kund=kund, arende=arende, rubrik=f"Händelse {i}",
                       tidpunkt=f"2026-09-{1 + number % 28:02d}T{10 + i:02d}:00:00+02:00") for i in range(events)]
    return made + [make_event(f"{party}-{number}-tie", kund=kund, arende=arende,
                              tidpunkt=f"2026-09-{1 + number % 28:02d}T10:00:00+02:00")]


def test_many_cases_read_together_equal_each_case_read_alone(store):
    """More cases than fit in one statement's parameters (chunked), from two agencies, with another person's
    cases of the same numbers beside them: each case gets exactly its own events, newest first."""
    for producer in ("tanum", "skatteverket"):
        store.upsert_events(PNR, producer, [e for n in range(230) for e in _case(PNR, n, 1 + n % 3)])
        store.upsert_events(PNR2, producer, [e for n in range(5) for e in _case(PNR2, n, 2)])
    keys = sorted(store.case_keys(PNR, ["tanum", "skatteverket"]))
    assert len(keys) == 460
    asked = keys + [("tanum", "Diarienummer:BN 9999")]  # a case with no events: not in the answer
    together = store.events_of_cases(PNR, asked)
    assert sorted(together) == keys
    for producer, key in keys:
        alone = store.case_events(PNR, producer, key)
        got = together[(producer, key)]
        assert [(s.producer, s.event, s.first_stored_at) for s in got] == \
               [(s.producer, s.event, s.first_stored_at) for s in alone]
        assert all(s.event.part.kund.identifierare == PNR for s in got)


def test_no_cases_an_empty_answer(store):
    assert store.events_of_cases(PNR, []) == {}
