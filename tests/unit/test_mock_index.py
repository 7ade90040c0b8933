"""The mock agency reads a named customer's events by an index, as a real agency would, and keeps it right."""

from __future__ import annotations

from builders import make_event

from mock_producers.data import Producer
from portal.standard.models import Arende, Kund

KARIN = Kund("198504124564", "Personnummer")
FIRM = Kund("198504124564", "Personnummer", "Ström Vattenbruk")
OLLE = Kund("199511115678", "Personnummer")
COMPANY = Kund("5590001234", "Organisationsnummer")


def _producer(*events) -> Producer:
    producer = Producer("lst", "Länsstyrelsen", "2021000000", "LST")
    for e in events:
        producer.events[e.kundhandelse_id] = e  # as the data loader fills it
    return producer


def test_a_customers_events_are_read_by_the_index_and_match_a_full_scan():
    events = [make_event("a", kund=KARIN), make_event("b", kund=FIRM), make_event("c", kund=OLLE),
              make_event("d", kund=COMPANY), make_event("e", no_kund=True, arende=Arende("1", "Diarienummer"))]
    producer = _producer(*events)
    for asked in ([KARIN], [OLLE], [COMPANY], [KARIN, COMPANY], [Kund("190001019999", "Personnummer")]):
        expected = {e.kundhandelse_id for e in events if e.part.kund is not None
                    and any((e.part.kund.identifierare, e.part.kund.typ) == (k.identifierare, k.typ) for k in asked)}
        assert {e.kundhandelse_id for e in producer.snapshot_for(asked)} == expected
    assert {e.kundhandelse_id for e in producer.snapshot_for([KARIN])} == {"a", "b"}  # her firm is her too


def test_the_index_follows_events_put_and_removed():
    producer = _producer(make_event("a", kund=KARIN))
    assert [e.kundhandelse_id for e in producer.snapshot_for([KARIN])] == ["a"]
    producer.put(make_event("b", kund=KARIN))
    producer.put(make_event("a", kund=OLLE))  # the same id, now about someone else
    assert [e.kundhandelse_id for e in producer.snapshot_for([KARIN])] == ["b"]
    assert [e.kundhandelse_id for e in producer.snapshot_for([OLLE])] == ["a"]
    producer.remove("b")
    assert producer.snapshot_for([KARIN]) == []
