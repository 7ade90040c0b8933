"""query: parse_query, the operation's semantics (answer/select), language choice."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import ANVANDARE, PNR, PNR2, arende_json, fraga_body, kund_json, make_event
from hypothesis import given
from hypothesis import strategies as st

from portal.standard import schemas
from portal.standard.models import Arende, Event, Kund, Part
from portal.standard.query import (
    SORT_ATTRIBUTES,
    Query,
    QueryError,
    answer,
    parse_query,
    preferred_language,
    select,
    sort_events,
    swedish_key,
)

UTC = dt.timezone.utc
KUND = Kund(PNR, "Personnummer")
KUND2 = Kund(PNR2, "Personnummer")
BN1 = Arende("BN 1", "Diarienummer")
BN2 = Arende("BN 2", "Diarienummer")

# A small hand-built event set. Local Swedish dates in comments.
E1 = make_event("e1", kund=KUND, arende=BN1, typ="REFKOM.BYGGLOV.MOTTAGEN", taggar=["bygglov"],
                tidpunkt="2026-09-30T23:30:00+02:00", rubrik="Ansökan mottagen")  # 09-30
E2 = make_event("e2", kund=KUND, typ="SKV.MOMS.BESLUT", taggar=["moms"], kraver=True,
                tidpunkt="2026-09-30T22:30:00Z", rubrik="Beslut om moms")  # 10-01 00:30
E3 = make_event("e3", kund=KUND2, arende=BN1, typ="REFKOM.BYGGLOV.BESLUT", taggar=["bygglov", "beslut"], klart=True,
                tidpunkt="2026-08-01T00:30:00+02:00", rubrik="Beslut om bygglov")  # 08-01
E4 = make_event("e4", kund=KUND, arende=BN2, typ="SKV.MOMSX.BESLUT", kraver=True,
                tidpunkt="2026-07-31T21:59:00Z", rubrik="Annat beslut")  # 07-31 23:59
E5 = make_event("e5", no_kund=True, arende=BN1, typ="LST.VATTENBRUK.TILLSTAND.BESLUT", taggar=["vattenbruk"],
                tidpunkt="2026-09-01 10:00:00", rubrik="Tillstånd")  # 09-01
EVENTS = [E1, E2, E3, E4, E5]

P_KUND = {"kund": kund_json()}
P_ARENDE = {"arende": arende_json("BN 1")}
P_BOTH = {"kund": kund_json(), "arende": arende_json("BN 1")}


def ids(events) -> list[str]:
    return [e.kundhandelse_id for e in events]


def run(part: dict, **fields) -> list[str]:
    query = parse_query(fraga_body([part], **fields))
    total, page = select(EVENTS, Part.from_json(part), query)
    assert total == len(page) or query.limit is not None
    return ids(page)


# --- parse_query ----------------------------------------------------------------


def test_parse_query_reads_every_field():
    body = fraga_body([P_BOTH], kundhandelseTyper=["SKV.MOMS"], taggar=["moms"], startDatum="2026-08-01",
                      slutDatum="2026-09-30",
                      behandling={"sortering": [{"attribut": "RUBRIK"}, {"attribut": "TIDPUNKT", "stigande": False}],
                                  "paginering": {"offset": 20, "limit": 10}})
    q = parse_query(body)
    assert q.parter == (Part(KUND, BN1),)
    assert q.anvandare == ANVANDARE
    assert q.typer == ("SKV.MOMS",) and q.taggar == ("moms",)
    assert (q.start, q.slut) == (dt.date(2026, 8, 1), dt.date(2026, 9, 30))
    assert q.sortering == (("RUBRIK", True), ("TIDPUNKT", False))  # stigande defaults to true
    assert (q.offset, q.limit) == (20, 10)
    assert q.raw == body


def test_query_to_json_round_trips_through_parse_query():
    body = fraga_body([P_BOTH, P_KUND], kundhandelseTyper=["SKV"], taggar=["a", "b"], startDatum="2026-01-01",
                      slutDatum="2026-01-01",
                      behandling={"sortering": [{"attribut": "PRODUCENT", "stigande": False}],
                                  "paginering": {"offset": 0, "limit": 5}})
    q = parse_query(body)
    assert schemas.problems("fraga", q.to_json()) == []
    again = parse_query(q.to_json())
    assert again.to_json() == q.to_json()
    assert (again.parter, again.typer, again.taggar, again.start, again.slut, again.sortering, again.offset,
            again.limit) == (q.parter, q.typer, q.taggar, q.start, q.slut, q.sortering, q.offset, q.limit)


@pytest.mark.parametrize("sortering", [None, []])
def test_paging_without_sorting_is_refused(sortering):
    behandling = {"paginering": {"offset": 0, "limit": 10}}
    if sortering is not None:
        behandling["sortering"] = sortering
    with pytest.raises(QueryError) as info:
        parse_query(fraga_body(behandling=behandling))
    assert "sortering" in info.value.message
    assert info.value.status == 400


def test_sorting_without_paging_is_fine():
    q = parse_query(fraga_body(behandling={"sortering": [{"attribut": "RUBRIK"}]}))
    assert q.limit is None and q.offset is None


def test_start_after_end_is_refused():
    with pytest.raises(QueryError, match="startDatum"):
        parse_query(fraga_body(startDatum="2026-10-01", slutDatum="2026-09-30"))
    assert parse_query(fraga_body(startDatum="2026-09-30", slutDatum="2026-09-30")).start == dt.date(2026, 9, 30)


@pytest.mark.parametrize("field", ["startDatum", "slutDatum"])
@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026-00-10"])
def test_impossible_dates_are_refused_by_name(field, value):
    with pytest.raises(QueryError) as info:
        parse_query(fraga_body(**{field: value}))
    assert field in info.value.message and info.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "fraga",
        42,
        {},
        {"fraga": []},
        {"fraga": {"parter": "x"}, "anvandare": ANVANDARE},
        {"fraga": {"parter": [{"kund": kund_json()}]}, "anvandare": 199009091233},
        {"fraga": {"parter": [{"kund": kund_json()}]}, "anvandare": "1990090912"},
        fraga_body(taggar="bygglov"),
        fraga_body(kundhandelseTyper="SKV"),
        fraga_body(startDatum=20260101),
        fraga_body(behandling={"sortering": {"attribut": "RUBRIK"}}),
        fraga_body(behandling={"sortering": [{"attribut": "RUBRIK", "stigande": "ja"}]}),
        fraga_body(behandling={"sortering": [{"attribut": "RUBRIK"}], "paginering": {"offset": "0", "limit": 5}}),
        fraga_body(okand=True),
        fraga_body(behandling={"sortering": [{"attribut": "RUBRIK"}], "paginering": {"offset": 0, "limit": 1001}}),
        fraga_body([{"kund": kund_json()}] * 101),
        fraga_body(taggar=["t"] * 101),
    ],
)
def test_bad_bodies_are_query_errors(body):
    with pytest.raises(QueryError) as info:
        parse_query(body)
    assert info.value.status == 400 and info.value.message


def test_query_error_message_names_the_field_but_not_the_number():
    with pytest.raises(QueryError) as info:
        parse_query(fraga_body([{"kund": kund_json(PNR + "1")}]))
    assert "identifierare" in info.value.message
    assert PNR not in info.value.message


# --- semantics, row by row -----------------------------------------------------------


def test_part_by_kund_newest_first():
    assert run(P_KUND) == ["e2", "e1", "e4"]


def test_part_by_arende():
    assert run(P_ARENDE) == ["e1", "e5", "e3"]


def test_part_by_kund_and_arende_both_must_match():
    assert run(P_BOTH) == ["e1"]
    assert run({"kund": kund_json(PNR2), "arende": arende_json("BN 2")}) == []


def test_unknown_part_gets_nothing():
    assert run({"arende": arende_json("BN 1", "Kvittensnummer")}) == []
    assert run({"kund": kund_json(tillagg="1")}) == []


def test_type_prefix_filter_at_segment_boundaries():
    assert run(P_KUND, kundhandelseTyper=["SKV.MOMS"]) == ["e2"]
    assert run(P_KUND, kundhandelseTyper=["SKV"]) == ["e2", "e4"]
    assert run(P_ARENDE, kundhandelseTyper=["REFKOM"]) == ["e1", "e3"]
    assert run(P_ARENDE, kundhandelseTyper=["REFKOM.BYGGLOV.BESLUT", "LST.VATTENBRUK"]) == ["e5", "e3"]
    assert run(P_ARENDE, kundhandelseTyper=["REF"]) == []


def test_tag_filter_matches_any_tag():
    assert run(P_KUND, taggar=["beslut", "moms"]) == ["e2"]
    assert run(P_ARENDE, taggar=["beslut"]) == ["e3"]
    assert run(P_ARENDE, taggar=["bygglov", "vattenbruk"]) == ["e1", "e5", "e3"]
    assert run(P_KUND, taggar=["okand"]) == []


def test_filters_combine():
    assert run(P_ARENDE, kundhandelseTyper=["REFKOM"], taggar=["beslut"]) == ["e3"]
    assert run(P_KUND, kundhandelseTyper=["SKV"], startDatum="2026-08-01") == ["e2"]


@pytest.mark.parametrize(
    "part,start,end,expected",
    [
        (P_KUND, "2026-09-30", "2026-09-30", ["e1"]),  # 23:30+02:00 is still the 30th
        (P_KUND, "2026-10-01", "2026-10-01", ["e2"]),  # 22:30Z is 00:30 on the 1st in Sweden
        (P_KUND, "2026-10-01", None, ["e2"]),
        (P_KUND, None, "2026-09-30", ["e1", "e4"]),
        (P_KUND, "2026-08-01", "2026-09-30", ["e1"]),  # e4 is 07-31 23:59 local
        (P_KUND, None, "2026-07-31", ["e4"]),
        (P_ARENDE, "2026-08-01", None, ["e1", "e5", "e3"]),  # e3 is 07-31 22:30Z = 08-01 00:30 local
        (P_ARENDE, None, "2026-07-31", []),
        (P_ARENDE, "2026-09-01", "2026-09-01", ["e5"]),
    ],
)
def test_inclusive_dates_in_swedish_local_time(part, start, end, expected):
    fields = {}
    if start:
        fields["startDatum"] = start
    if end:
        fields["slutDatum"] = end
    assert run(part, **fields) == expected


def test_multi_attribute_sort():
    sortering = [{"attribut": "PRODUCENTARENDETKRAVERKUNDATGARD", "stigande": False}, {"attribut": "TIDPUNKT"}]
    assert run(P_KUND, behandling={"sortering": sortering}) == ["e4", "e2", "e1"]
    sortering = [{"attribut": "PRODUCENTARENDETKLART"}, {"attribut": "TIDPUNKT", "stigande": True}]
    assert run(P_ARENDE, behandling={"sortering": sortering}) == ["e5", "e1", "e3"]


def test_sort_by_type_and_ties_fall_back_to_newest_first():
    assert run(P_KUND, behandling={"sortering": [{"attribut": "KUNDHANDELSETYP"}]}) == ["e1", "e2", "e4"]
    # PRODUCENT is equal for all: ties keep newest first.
    assert run(P_KUND, behandling={"sortering": [{"attribut": "PRODUCENT"}]}) == ["e2", "e1", "e4"]
    assert run(P_KUND, behandling={"sortering": [{"attribut": "PRODUCENT", "stigande": False}]}) == ["e2", "e1", "e4"]


def test_ties_on_time_fall_back_to_id():
    same = "2026-09-01T10:00:00Z"
    events = [make_event(i, tidpunkt=same) for i in ("c", "a", "b")]
    assert ids(sort_events(events, ())) == ["a", "b", "c"]
    assert ids(sort_events(list(reversed(events)), (("RUBRIK", False),))) == ["a", "b", "c"]


def test_sort_by_time_compares_instants_not_wall_clocks():
    early = make_event("early", tidpunkt="2026-09-01T10:00:00+02:00")  # 08:00Z
    late = make_event("late", tidpunkt="2026-09-01T09:00:00Z")
    assert ids(sort_events([late, early], (("TIDPUNKT", True),))) == ["early", "late"]
    assert ids(sort_events([early, late], ())) == ["late", "early"]


def _by_rubrik(*titles, stigande=True):
    events = [make_event(f"id{i}", rubrik=t) for i, t in enumerate(titles)]
    return [e.rubrik for e in sort_events(events, (("RUBRIK", stigande),))]


def test_rubrik_sort_is_case_insensitive_and_puts_a_ring_before_a_umlaut_before_o_umlaut():
    assert _by_rubrik("Öland", "Ärende", "Åre", "bil", "Apa") == ["Apa", "bil", "Åre", "Ärende", "Öland"]
    assert _by_rubrik("Öland", "Ärende", "Åre", stigande=False) == ["Öland", "Ärende", "Åre"]
    assert swedish_key("ÅÄÖ") == swedish_key("åäö")


def test_rubrik_sort_puts_a_umlaut_after_z():
    assert _by_rubrik("Ärende", "Zon", "Apa") == ["Apa", "Zon", "Ärende"]


def test_rubrik_sort_a_umlaut_after_z_alone():
    # A single 'Z' already sorts before the Swedish letters.
    assert _by_rubrik("Ärende", "Z", "Apa") == ["Apa", "Z", "Ärende"]


def test_beskrivning_and_producent_use_swedish_order_too():
    events = [make_event("1", beskrivning="Öppen", producent="Ängelholms kommun"),
              make_event("2", beskrivning="Avslutad", producent="Arvika kommun")]
    assert ids(sort_events(events, (("BESKRIVNING", True),))) == ["2", "1"]
    assert ids(sort_events(events, (("PRODUCENT", True),))) == ["2", "1"]


def test_every_sort_attribute_is_usable():
    for attribut in SORT_ATTRIBUTES:
        for stigande in (True, False):
            result = sort_events(list(EVENTS), ((attribut, stigande),))
            assert sorted(ids(result)) == sorted(ids(EVENTS))


# --- paging and totals ------------------------------------------------------------------


def _paged(part, offset, limit):
    body = fraga_body([part], behandling={"sortering": [{"attribut": "TIDPUNKT", "stigande": False}],
                                          "paginering": {"offset": offset, "limit": limit}})
    q = parse_query(body)
    total, page = select(EVENTS, Part.from_json(part), q)
    return total, ids(page)


def test_total_is_counted_before_paging():
    assert _paged(P_KUND, 0, 2) == (3, ["e2", "e1"])
    assert _paged(P_KUND, 2, 2) == (3, ["e4"])
    assert _paged(P_KUND, 1, 1) == (3, ["e1"])


def test_offset_beyond_the_end_is_an_empty_page_with_the_right_total():
    assert _paged(P_KUND, 3, 10) == (3, [])
    assert _paged(P_KUND, 500, 10) == (3, [])


def test_total_counts_after_filters():
    q = parse_query(fraga_body([P_KUND], kundhandelseTyper=["SKV"],
                               behandling={"sortering": [{"attribut": "TIDPUNKT"}],
                                           "paginering": {"offset": 0, "limit": 1}}))
    total, page = select(EVENTS, q.parter[0], q)
    assert (total, ids(page)) == (2, ["e4"])


# --- the whole answer --------------------------------------------------------------------


def test_answer_has_one_entry_per_asked_part_with_delfragor():
    body = fraga_body([P_KUND, P_ARENDE, P_BOTH, {"kund": kund_json(PNR2)}],
                      behandling={"sortering": [{"attribut": "TIDPUNKT", "stigande": False}],
                                  "paginering": {"offset": 0, "limit": 2}})
    result = answer(EVENTS, parse_query(body), producent="Referenskommunen", onskat_sprak="en")
    assert [k["part"] for k in result["kundhandelser"]] == body["fraga"]["parter"]
    assert [k["totaltAntalKundhandelser"] for k in result["kundhandelser"]] == [3, 3, 1, 1]
    assert [[e["kundhandelseId"] for e in k["kundhandelserForPart"]] for k in result["kundhandelser"]] == [
        ["e2", "e1"], ["e1", "e5"], ["e1"], ["e3"]]
    assert [(d["producent"], d["part"], d["status"], d["httpCode"]) for d in result["delfragor"]] == [
        ("Referenskommunen", p, "OK", 200) for p in body["fraga"]["parter"]]
    assert result["metadata"] == {**body["fraga"], "onskatSprak": "en"}  # a flat echo, as the reference producer
    assert schemas.problems("svar", result) == []
    # As real answers: the party once per group, never per event; no taggar.
    assert not any("part" in e or "taggar" in e for k in result["kundhandelser"] for e in k["kundhandelserForPart"])


def test_answer_events_are_standard_json():
    result = answer(EVENTS, parse_query(fraga_body([P_ARENDE])), producent="P")
    events = result["kundhandelser"][0]["kundhandelserForPart"]
    assert [e["tidpunkt"] for e in events] == [
        "2026-09-30T23:30:00+02:00", "2026-09-01T10:00:00+02:00", "2026-08-01T00:30:00+02:00"]
    assert all(schemas.problems("kundhandelse", e) == [] for e in events)
    assert result["metadata"]["onskatSprak"] == "sv"


def test_answer_uses_the_render_function():
    result = answer(EVENTS, parse_query(fraga_body([P_BOTH])), producent="P",
                    render=lambda e: {**e.to_json(), "rubrik": e.rubrik.upper()})
    assert result["kundhandelser"][0]["kundhandelserForPart"][0]["rubrik"] == "ANSÖKAN MOTTAGEN"


def test_answer_for_a_query_built_in_code_echoes_its_json():
    q = Query(parter=(Part(KUND),), anvandare=ANVANDARE, typer=("SKV",))
    result = answer(EVENTS, q, producent="P", onskat_sprak="sv")
    assert result["metadata"] == {**q.to_json()["fraga"], "onskatSprak": "sv"}
    assert [e["kundhandelseId"] for e in result["kundhandelser"][0]["kundhandelserForPart"]] == ["e2", "e4"]


def test_answer_over_no_events():
    result = answer([], parse_query(fraga_body([P_KUND, P_ARENDE])), producent="P")
    assert [(k["totaltAntalKundhandelser"], k["kundhandelserForPart"]) for k in result["kundhandelser"]] == [
        (0, []), (0, [])]
    assert len(result["delfragor"]) == 2


def test_answer_accepts_a_generator():
    result = answer((e for e in EVENTS), parse_query(fraga_body([P_KUND, P_ARENDE])), producent="P")
    assert [k["totaltAntalKundhandelser"] for k in result["kundhandelser"]] == [3, 3]


# --- Accept-Language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header,expected",
    [
        (None, "sv"),
        ("", "sv"),
        ("en", "en"),
        ("EN", "en"),
        ("sv", "sv"),
        ("en-GB,en;q=0.9", "en"),
        ("fr, en;q=0.5", "en"),
        ("sv;q=0.4, en;q=0.8", "en"),
        ("en;q=0.8, sv", "sv"),
        ("en;q=0.5, sv;q=0.5", "en"),  # equal q: the header's order decides
        ("de, fr", "sv"),
        ("en;q=0", "sv"),
        ("en;q=0.0, de", "sv"),
        ("en;q=abc", "sv"),
        ("*", "sv"),
        ("nb-NO, en-US;q=0.7, sv-SE;q=0.3", "en"),
    ],
)
def test_preferred_language(header, expected):
    assert preferred_language(header) == expected


def test_preferred_language_with_other_offers():
    assert preferred_language(None, offered=("en", "sv")) == "en"
    assert preferred_language("fi;q=0.9, sv;q=0.8", offered=("sv", "fi")) == "fi"


# --- property: paging never loses or repeats an event --------------------------------------

TIMES = [dt.datetime(2026, 9, d, h, tzinfo=UTC) for d in (1, 2) for h in (0, 22)]
TITLES = ["Apa", "apa", "Bil", "Åre", "Ärende", "Öland", "Ångest", "Beslut"]


@st.composite
def event_sets(draw):
    n = draw(st.integers(0, 12))
    events = []
    for i in range(n):
        events.append(make_event(
            f"id{i:02d}",
            kund=draw(st.sampled_from([KUND, KUND2, Kund(PNR, "Personnummer", "1")])),
            arende=draw(st.sampled_from([None, BN1, BN2])),
            tidpunkt=draw(st.sampled_from(TIMES)),
            rubrik=draw(st.sampled_from(TITLES)),
            beskrivning=draw(st.sampled_from(["", "a", "ö"])),
            producent=draw(st.sampled_from(["SKV", "LST"])),
            typ=draw(st.sampled_from(["SKV.MOMS.BESLUT", "SKV.MOMSX.BESLUT", "LST.VATTENBRUK.TILLSTAND.BESLUT"])),
            kraver=draw(st.booleans()),
            klart=draw(st.booleans()),
            taggar=draw(st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True)),
        ))
    return events


sorterings = st.lists(
    st.tuples(st.sampled_from(SORT_ATTRIBUTES), st.booleans()), min_size=1, max_size=4,
    unique_by=lambda t: t[0],
)
parts = st.sampled_from([Part(KUND), Part(KUND2), Part(None, BN1), Part(KUND, BN2), Part(Kund(PNR, "Personnummer", "1"))])


@given(event_sets(), parts, sorterings, st.integers(1, 5), st.lists(st.sampled_from(["a", "b"]), max_size=1))
def test_concatenated_pages_equal_the_unpaged_sorted_result(events, part, sortering, limit, taggar):
    base = dict(parter=(part,), anvandare=ANVANDARE, taggar=tuple(taggar), sortering=tuple(sortering))
    total_all, unpaged = select(events, part, Query(**base))
    assert total_all == len(unpaged)
    assert set(ids(unpaged)) == {e.kundhandelse_id for e in events
                                 if part.covers(e.part) and (not taggar or set(taggar) & set(e.taggar))}
    collected = []
    offset = 0
    while True:
        total, page = select(events, part, Query(**base, offset=offset, limit=limit))
        assert total == total_all
        assert len(page) <= limit
        if not page:
            break
        collected.extend(page)
        offset += limit
    assert offset >= total_all
    assert ids(collected) == ids(unpaged)
    # The same query twice gives the same pages (stable boundaries).
    assert ids(select(list(reversed(events)), part, Query(**base))[1]) == ids(unpaged)


_KEY = {
    "RUBRIK": lambda e: swedish_key(e.rubrik),
    "BESKRIVNING": lambda e: swedish_key(e.beskrivning),
    "PRODUCENT": lambda e: swedish_key(e.producent),
    "TIDPUNKT": lambda e: e.tidpunkt,
    "KUNDHANDELSETYP": lambda e: e.typ,
    "PRODUCENTARENDETKRAVERKUNDATGARD": lambda e: e.kraver_kundatgard,
    "PRODUCENTARENDETKLART": lambda e: e.klart,
}


def _in_order(a: Event, b: Event, sortering) -> bool:
    for attribut, stigande in sortering:
        ka, kb = _KEY[attribut](a), _KEY[attribut](b)
        if ka != kb:
            return ka < kb if stigande else ka > kb
    if a.tidpunkt != b.tidpunkt:
        return a.tidpunkt > b.tidpunkt
    return a.kundhandelse_id < b.kundhandelse_id


@given(event_sets(), sorterings)
def test_sorted_result_respects_every_key_in_turn(events, sortering):
    result = sort_events(events, sortering)
    assert sorted(ids(result)) == sorted(ids(events))
    for a, b in zip(result, result[1:]):
        assert _in_order(a, b, sortering)
