"""response.parse_response: a good envelope is required, one bad event never sinks the rest."""

from __future__ import annotations

import json

import pytest
from builders import PNR, arende_json, event_json, kund_json, svar_body
from hypothesis import given
from hypothesis import strategies as st

from portal.standard.models import Event, Part
from portal.standard.response import EventProblem, InvalidResponse, parse_event, parse_response


def test_good_body_gives_events():
    events = [event_json(kundhandelseId="a"), event_json(kundhandelseId="b", tidpunkt="2026-09-15 09:00:00")]
    body = svar_body(events, total=7, metadata={"onskatSprak": "sv"},
                     delfragor=[{"producent": "Referenskommunen", "status": "OK", "httpCode": 200}])
    for form in (body, json.dumps(body), json.dumps(body).encode("utf-8"), bytearray(json.dumps(body), "utf-8")):
        parsed = parse_response(form)
        assert [e.kundhandelse_id for e in parsed.events] == ["a", "b"]
        assert all(isinstance(e, Event) for e in parsed.events)
        assert parsed.problems == []
        assert len(parsed.parts) == 1
        assert parsed.parts[0].part == Part.from_json({"kund": kund_json()})
        assert parsed.parts[0].total == 7
        assert parsed.metadata == {"onskatSprak": "sv"}
        assert parsed.delfragor[0]["producent"] == "Referenskommunen"


def test_a_real_answer_without_part_and_taggar_per_event_gives_the_groups_part():
    """As the reference producer answers: the party once per group, events without part or taggar."""
    events = [event_json(kundhandelseId=i, part=..., taggar=..., sprak=lang, version=version, referenser=ref)
              for i, lang, version, ref in (("a", "fit", "6.2", {"diarienummer": "BN 1"}), ("b", "sv-SE", "7.0", None),
                                            ("c", "smj", "6.1", ["not", "an", "object"]))]
    parsed = parse_response(svar_body(events, total=3))
    assert parsed.problems == []
    assert [e.kundhandelse_id for e in parsed.events] == ["a", "b", "c"]
    assert {e.part for e in parsed.events} == {Part.from_json({"kund": kund_json()})}
    assert [e.link for e in parsed.events] == [None, None, None]


def test_an_answer_that_does_carry_part_per_event_keeps_it():
    parsed = parse_response(svar_body([event_json(kundhandelseId="a")]))
    assert parsed.events[0].part.arende == Part.from_json({"arende": arende_json()}).arende


def test_empty_answer():
    parsed = parse_response({"kundhandelser": []})
    assert parsed.events == [] and parsed.parts == [] and parsed.delfragor == [] and parsed.metadata == {}


def test_several_parts_keep_their_events_apart():
    body = svar_body([event_json(kundhandelseId="a")])
    body["kundhandelser"].append({"part": {"arende": arende_json()}, "totaltAntalKundhandelser": 1,
                                  "kundhandelserForPart": [event_json(kundhandelseId="b")]})
    parsed = parse_response(body)
    assert [[e.kundhandelse_id for e in p.events] for p in parsed.parts] == [["a"], ["b"]]
    assert [e.kundhandelse_id for e in parsed.events] == ["a", "b"]


def test_one_bad_event_is_dropped_alone_and_named():
    events = [event_json(kundhandelseId="good-1"),
              event_json(kundhandelseId="bad-1", kundhandelseTyp="not a type"),
              event_json(kundhandelseId="good-2")]
    parsed = parse_response(svar_body(events))
    assert [e.kundhandelse_id for e in parsed.events] == ["good-1", "good-2"]
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert isinstance(problem, EventProblem)
    assert (problem.part_index, problem.event_index, problem.kundhandelse_id) == (0, 1, "bad-1")
    assert any(m.startswith("$.kundhandelseTyp") for m in problem.messages)


def test_event_with_impossible_local_tidpunkt_is_dropped():
    events = [event_json(kundhandelseId="gap", tidpunkt="2026-03-29 02:30:00"), event_json(kundhandelseId="ok")]
    parsed = parse_response(svar_body(events))
    assert [e.kundhandelse_id for e in parsed.events] == ["ok"]
    assert parsed.problems[0].kundhandelse_id == "gap"
    assert parsed.problems[0].messages[0].startswith("$.tidpunkt")


def test_event_with_impossible_date_is_dropped():
    parsed = parse_response(svar_body([event_json(kundhandelseId="x", tidpunkt="2026-02-30T10:00:00Z")]))
    assert parsed.events == [] and parsed.problems[0].kundhandelse_id == "x"


@pytest.mark.parametrize("raw,ident", [
    ("not an object", None),
    (None, None),
    ({"kundhandelseId": 17}, None),
    ({"kundhandelseId": "x" * 101}, None),
    ({"kundhandelseId": "only-id"}, "only-id"),
])
def test_unreadable_events_have_no_or_a_safe_id(raw, ident):
    parsed = parse_response(svar_body([raw, event_json()]))
    assert len(parsed.events) == 1
    assert parsed.problems[0].kundhandelse_id == ident
    assert parsed.problems[0].messages


def test_problem_messages_do_not_echo_the_identity_number():
    bad = event_json(part={"kund": kund_json(PNR + "0")})
    parsed = parse_response(svar_body([bad]))
    assert PNR not in " ".join(parsed.problems[0].messages)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not json",
        b"<html>502 Bad Gateway</html>",
        "",
        "{",
        "[]",
        "null",
        [],
        None,
        42,
        {},
        {"kundhandelser": None},
        {"kundhandelser": {"part": {}}},
        {"message": "internal error"},
    ],
)
def test_unusable_bodies_raise_invalid_response(body):
    with pytest.raises(InvalidResponse):
        parse_response(body)


def _entry(**overrides):
    entry = {"part": {"kund": kund_json()}, "totaltAntalKundhandelser": 0, "kundhandelserForPart": []}
    for key, value in overrides.items():
        if value is ...:
            entry.pop(key)
        else:
            entry[key] = value
    return entry


@pytest.mark.parametrize(
    "entry",
    [
        "not an object",
        _entry(kundhandelserForPart=...),
        _entry(kundhandelserForPart={}),
        _entry(part=...),
        _entry(part={}),
        _entry(part={"kund": kund_json("123")}),
        _entry(part={"kund": kund_json(), "extra": 1}),
        _entry(totaltAntalKundhandelser=-1),
        _entry(totaltAntalKundhandelser=...),
        _entry(totaltAntalKundhandelser="3"),
        _entry(totaltAntalKundhandelser=2.5),
        _entry(totaltAntalKundhandelser=True),
    ],
)
def test_bad_envelope_entries_raise_invalid_response(entry):
    with pytest.raises(InvalidResponse):
        parse_response({"kundhandelser": [_entry(), entry]})


def test_bad_part_message_does_not_echo_the_number():
    with pytest.raises(InvalidResponse) as info:
        parse_response({"kundhandelser": [_entry(part={"kund": kund_json(PNR + "9")})]})
    assert PNR not in str(info.value)


@pytest.mark.parametrize(
    "delfragor",
    [
        {"producent": "SKV", "status": "OK"},
        [{"producent": "SKV"}],
        [{"status": "OK"}],
        [{"producent": "SKV", "status": "KANSKE"}],
        [{"producent": "SKV", "status": "FEL", "httpCode": "500"}],
        ["SKV"],
        "OK",
    ],
)
def test_malformed_delfragor_raise_invalid_response(delfragor):
    with pytest.raises(InvalidResponse):
        parse_response(svar_body([event_json()], delfragor=delfragor))


def test_partial_answer_keeps_delfragor():
    delfragor = [{"producent": "SKV", "status": "OK", "httpCode": 200},
                 {"producent": "LST", "status": "FEL", "message": "timeout", "httpCode": 504}]
    parsed = parse_response(svar_body([event_json()], delfragor=delfragor))
    assert parsed.delfragor == delfragor
    assert len(parsed.events) == 1


def test_non_object_metadata_is_ignored():
    assert parse_response(svar_body([], metadata=["x"])).metadata == {}


def test_year_one_local_tidpunkt_is_dropped_not_raised():
    events = [event_json(kundhandelseId="old", tidpunkt="0001-01-01 00:00:00"), event_json(kundhandelseId="ok")]
    parsed = parse_response(svar_body(events))
    assert [e.kundhandelse_id for e in parsed.events] == ["ok"]


@pytest.mark.parametrize("tidpunkt", ["1900-01-01T12:00:00+01:00", "9998-12-31T12:00:00-01:00"])
def test_accepted_events_at_the_edges_of_time_are_written_back_unchanged(tidpunkt):
    event, messages = parse_event(event_json(tidpunkt=tidpunkt))
    assert event is not None and messages == []
    again, messages = parse_event(event.to_json())
    assert again is not None and messages == []
    assert again.tidpunkt == event.tidpunkt


@pytest.mark.parametrize("tidpunkt", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_times_that_cannot_be_written_back_are_refused_by_name(tidpunkt):
    event, messages = parse_event(event_json(tidpunkt=tidpunkt))
    assert event is None
    assert messages and messages[0].startswith("$.tidpunkt")


# --- parse_event never raises -------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)

FIELDS = list(event_json().keys())


@given(json_values)
def test_random_json_never_raises(raw):
    event, messages = parse_event(raw)
    assert event is None and messages


field_values = st.one_of(
    json_values,
    st.sampled_from(["2026-03-29 02:30:00", "2026-02-30T10:00:00Z", "2026-09-14T10:12:00+23:59",
                     "2026-09-14T10:12:00+24:00", "2026-10-25 02:30:00", "9999-12-31 23:59:59",
                     "2026-09-14T10:12:00.123456789Z", PNR, "SKV.MOMS.BESLUT", "", "x" * 300]),
)


@given(st.dictionaries(st.sampled_from(FIELDS + ["extra"]), field_values, max_size=4), st.sets(st.sampled_from(FIELDS)))
def test_mutated_events_never_raise(changes, removed):
    raw = event_json(**changes)
    for key in removed:
        raw.pop(key, None)
    event, messages = parse_event(raw)
    if event is None:
        assert messages and all(isinstance(m, str) for m in messages)
    else:
        assert messages == []
        assert event.tidpunkt.tzinfo is not None
    # The whole answer survives too: a bad event is a problem, not an exception.
    parsed = parse_response(svar_body([raw, event_json(kundhandelseId="anchor")]))
    assert "anchor" in [e.kundhandelse_id for e in parsed.events]
    assert len(parsed.events) + len(parsed.problems) == 2
