"""models: Kund, Arende, Part, Event and their derived facts."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import ORGNR12, PNR, PNR2, arende_json, event_json, kund_json, make_event

from portal.standard import schemas
from portal.standard.models import Arende, Event, Kund, Part, safe_link
from portal.standard.tidpunkt import InvalidTidpunkt

UTC = dt.timezone.utc


def test_event_from_json_reads_every_field():
    e = Event.from_json(event_json())
    assert e.kundhandelse_id == "evt-1"
    assert e.part == Part(Kund(PNR, "Personnummer"), Arende("BN 2026-123", "Diarienummer"))
    assert e.rubrik == "Ansökan om bygglov mottagen"
    assert e.producent == "Referenskommunen"
    assert e.tidpunkt.astimezone(UTC) == dt.datetime(2026, 9, 14, 8, 12, tzinfo=UTC)
    assert e.typ == "REFKOM.BYGGLOV.MOTTAGEN"
    assert e.kraver_kundatgard is False and e.klart is False
    assert e.version == "6.1"
    assert e.beskrivning == "Vi har tagit emot din ansökan."
    assert e.sprak == "sv"
    assert e.taggar == ("bygglov",)
    assert e.referenser["diarienummer"] == "BN 2026-123"


def test_event_defaults_for_optional_fields():
    minimal = event_json(beskrivning=..., sprak=..., utokadInformation=..., referenser=..., taggar=...)
    e = Event.from_json(minimal)
    assert (e.beskrivning, e.sprak, e.utokad_information, e.referenser, e.taggar) == ("", "sv", None, None, ())
    assert e.deadline is None and e.link is None


def test_event_round_trip():
    raw = event_json()
    e = Event.from_json(raw)
    out = e.to_json()
    assert out == raw  # tidpunkt is already Swedish local RFC 3339
    assert schemas.problems("kundhandelse", out) == []
    assert Event.from_json(out) == e


def test_round_trip_normalises_tidpunkt_to_swedish_rfc3339():
    e = Event.from_json(event_json(tidpunkt="2026-01-14T08:12:00Z"))
    assert e.to_json()["tidpunkt"] == "2026-01-14T09:12:00+01:00"
    local = Event.from_json(event_json(tidpunkt="2026-07-01 12:00:00"))
    assert local.to_json()["tidpunkt"] == "2026-07-01T12:00:00+02:00"


def test_minimal_event_round_trip_is_schema_valid():
    raw = event_json(part={"arende": arende_json()}, beskrivning=..., sprak=..., utokadInformation=...,
                     referenser=..., taggar=...)
    out = Event.from_json(raw).to_json()
    assert schemas.problems("kundhandelse", out) == []
    assert "taggar" not in out and "utokadInformation" not in out and "referenser" not in out
    assert out["part"] == {"arende": arende_json()}


def test_from_json_rejects_an_impossible_local_time():
    with pytest.raises(InvalidTidpunkt):
        Event.from_json(event_json(tidpunkt="2026-03-29 02:30:00"))


def test_tillagg_survives_the_round_trip():
    raw = event_json(part={"kund": kund_json(ORGNR12, "Organisationsnummer", tillagg="2")})
    assert Event.from_json(raw).to_json()["part"] == raw["part"]


# --- case_key, deadline -------------------------------------------------------


def test_case_key_uses_part_arende():
    e = Event.from_json(event_json())
    assert e.case_key == "Diarienummer:BN 2026-123"


def test_case_key_without_arende_or_referenser_uses_the_case_type():
    e = Event.from_json(event_json(part={"kund": kund_json()}, kundhandelseTyp="LST.VATTENBRUK.TILLSTAND.BESLUT",
                                   referenser=...))
    assert e.case_key == "Arendetyp:LST.VATTENBRUK.TILLSTAND"


def test_case_key_without_arende_uses_referenser_diarienummer_then_lank():
    kund_only = {"kund": kund_json()}
    by_number = Event.from_json(event_json(part=kund_only))
    assert by_number.case_key == "Diarienummer:BN 2026-123"  # the same case as an arende of type Diarienummer
    assert by_number.case_key == Event.from_json(event_json()).case_key
    by_link = Event.from_json(event_json(part=kund_only, referenser={"lank": "https://kommun.example/a/9"}))
    assert by_link.case_key == "Lank:https://kommun.example/a/9"
    for odd in (["BN 1"], "BN 1", {"diarienummer": 12, "lank": None}, {"diarienummer": " "}):
        assert Event.from_json(event_json(part=kund_only, referenser=odd)).case_key == "Arendetyp:REFKOM.BYGGLOV"


def test_an_event_without_part_takes_the_groups_part():
    group = Part.from_json({"kund": kund_json()})
    e = Event.from_json(event_json(part=..., taggar=...), group)
    assert e.part == group and e.taggar == ()
    own = Event.from_json(event_json(), group)  # an event that names its own part keeps it
    assert own.part.arende is not None
    with pytest.raises(ValueError):
        Event.from_json(event_json(part=...))


def test_reference_is_the_arende_else_referenser_diarienummer():
    assert Event.from_json(event_json()).reference == "BN 2026-123"
    kund_only = {"kund": kund_json()}
    assert Event.from_json(event_json(part=kund_only)).reference == "BN 2026-123"
    assert Event.from_json(event_json(part=kund_only, referenser={"lank": "https://x.example/"})).reference is None


def test_answer_json_leaves_out_part_taggar_and_absent_fields():
    out = Event.from_json(event_json(utokadInformation=..., referenser=...)).answer_json()
    assert "part" not in out and "taggar" not in out
    assert "utokadInformation" not in out and "referenser" not in out
    assert None not in out.values()


def test_two_events_of_the_same_case_share_a_key_different_cases_do_not():
    a = make_event("a", typ="REFKOM.BYGGLOV.MOTTAGEN")
    b = make_event("b", typ="REFKOM.BYGGLOV.BESLUT")
    c = make_event("c", typ="REFKOM.BYGGLOV.BESLUT", arende=Arende("BN 1", "Diarienummer"))
    d = make_event("d", typ="REFKOM.BYGGLOV.BESLUT", arende=Arende("BN 1", "Kvittensnummer"))
    assert a.case_key == b.case_key
    assert len({a.case_key, c.case_key, d.case_key}) == 3


@pytest.mark.parametrize(
    "utokad,expected",
    [
        ({"senastDatum": "2026-09-30"}, dt.date(2026, 9, 30)),
        ({"senastDatum": "2026-09-30T23:59:00+02:00"}, dt.date(2026, 9, 30)),
        ({"senastDatum": "2026-02-30"}, None),
        ({"senastDatum": "30 september"}, None),
        ({"senastDatum": ""}, None),
        ({"senastDatum": 20260930}, None),
        ({"senastDatum": None}, None),
        ({"senastDatum": ["2026-09-30"]}, None),
        ({}, None),
    ],
)
def test_deadline(utokad, expected):
    assert make_event(utokad=utokad).deadline == expected
    assert Event.from_json(event_json(utokadInformation=utokad)).deadline == expected


# --- links ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://kommun.example/arenden/123",
        "http://kommun.example/",
        "HTTPS://KOMMUN.EXAMPLE/x?y=1#z",
        "https://kommun.example:8443/a/b",
    ],
)
def test_safe_link_accepts_absolute_http_and_https(url):
    assert safe_link(url) == url
    assert make_event(referenser={"lank": url}).link == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://kommun.example/file",
        "file:///etc/passwd",
        "/arenden/123",
        "arenden/123",
        "//evil.example/x",
        "https://",
        "https:///path",
        "https:",
        "https://kommun.example/a b",
        "https://kommun.example/a\nb",
        "https://kommun.example/a\rb",
        "https://kommun.example/\tx",
        "https://[::1",
        "https://kommun.example/" + "a" * 2000,
        "http://user:pass@evil.example@good.example/",
        "https://user@kommun.example/",
        "https://kommun.example@evil.example/",
        "",
        None,
        42,
        {"href": "https://kommun.example/"},
    ],
)
def test_safe_link_rejects_everything_else(url):
    assert safe_link(url) is None
    assert make_event(referenser={"lank": url}).link is None


def test_link_absent():
    assert make_event(referenser={"diarienummer": "x"}).link is None


# --- Kund / Part coverage ---------------------------------------------------------------


def test_kund_covers_same_number_and_type():
    assert Kund(PNR, "Personnummer").covers(Kund(PNR, "Personnummer"))
    assert not Kund(PNR, "Personnummer").covers(Kund(PNR2, "Personnummer"))
    assert not Kund(PNR, "Personnummer").covers(Kund(PNR, "Samordningsnummer"))


def test_kund_without_tillagg_covers_every_firm_of_the_owner():
    query = Kund(PNR, "Personnummer")
    assert query.covers(Kund(PNR, "Personnummer", "1"))
    assert query.covers(Kund(PNR, "Personnummer", "2"))


def test_kund_with_tillagg_covers_only_that_firm():
    query = Kund(PNR, "Personnummer", "1")
    assert query.covers(Kund(PNR, "Personnummer", "1"))
    assert not query.covers(Kund(PNR, "Personnummer", "2"))
    assert not query.covers(Kund(PNR, "Personnummer"))  # the owner privately is not firm 1


def test_kund_repr_hides_the_number():
    k = Kund(PNR, "Personnummer")
    for text in (repr(k), repr(Part(k)), repr(make_event(kund=k))):
        assert PNR not in text


KUND = Kund(PNR, "Personnummer")
OTHER = Kund(PNR2, "Personnummer")
ARENDE = Arende("BN 1", "Diarienummer")
ARENDE2 = Arende("BN 2", "Diarienummer")


@pytest.mark.parametrize(
    "query,event,expected",
    [
        (Part(KUND), Part(KUND), True),
        (Part(KUND), Part(KUND, ARENDE), True),
        (Part(KUND), Part(OTHER, ARENDE), False),
        (Part(KUND), Part(None, ARENDE), False),
        (Part(None, ARENDE), Part(OTHER, ARENDE), True),
        (Part(None, ARENDE), Part(None, ARENDE), True),
        (Part(None, ARENDE), Part(KUND, ARENDE2), False),
        (Part(None, ARENDE), Part(KUND), False),
        (Part(None, ARENDE), Part(None, Arende("BN 1", "Kvittensnummer")), False),
        (Part(KUND, ARENDE), Part(KUND, ARENDE), True),
        (Part(KUND, ARENDE), Part(KUND, ARENDE2), False),  # both must match
        (Part(KUND, ARENDE), Part(OTHER, ARENDE), False),  # both must match
        (Part(KUND, ARENDE), Part(KUND), False),
        (Part(KUND, ARENDE), Part(None, ARENDE), False),
        (Part(Kund(PNR, "Personnummer", "1"), ARENDE), Part(Kund(PNR, "Personnummer", "1"), ARENDE), True),
        (Part(Kund(PNR, "Personnummer", "1"), ARENDE), Part(Kund(PNR, "Personnummer", "2"), ARENDE), False),
        (Part(), Part(KUND, ARENDE), False),  # an empty query part covers nothing
    ],
)
def test_part_covers(query, event, expected):
    assert query.covers(event) is expected


def test_part_json_round_trip():
    for raw in ({"kund": kund_json()}, {"arende": arende_json()}, {"kund": kund_json(tillagg="3"), "arende": arende_json()}):
        assert Part.from_json(raw).to_json() == raw


def test_derived_values_kept_on_first_read_follow_a_replaced_event():
    import dataclasses
    first = make_event(referenser={"lank": "https://a.example/1", "diarienummer": "D-1"},
                       utokad={"senastDatum": "2026-10-01"}, kraver=True)
    assert (first.link, first.reference, first.deadline) == ("https://a.example/1", "D-1", dt.date(2026, 10, 1))
    assert first.link == "https://a.example/1"  # read again: the kept value
    assert first == make_event(referenser={"lank": "https://a.example/1", "diarienummer": "D-1"},
                               utokad={"senastDatum": "2026-10-01"}, kraver=True)  # kept values are not fields
    second = dataclasses.replace(first, referenser={"lank": "ftp://b.example/2"}, utokad_information=None,
                                 klart=True)
    assert (second.link, second.reference, second.deadline, second.ball_holder.value) == (None, None, None, "closed")
    assert first.to_json() == make_event(referenser={"lank": "https://a.example/1", "diarienummer": "D-1"},
                                         utokad={"senastDatum": "2026-10-01"}, kraver=True).to_json()
