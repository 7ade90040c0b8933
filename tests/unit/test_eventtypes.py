"""eventtypes: PRODUCER.CASETYPE.EVENTTYPE codes and segment-boundary prefixes."""

from __future__ import annotations

import pytest

from portal.standard.eventtypes import (
    EventType,
    InvalidEventType,
    case_type_ancestors,
    is_prefix,
    matches_any,
    matches_prefix,
)


def test_three_segment_code():
    t = EventType.parse("REFKOM.BYGGLOV.BESLUT")
    assert t.code == "REFKOM.BYGGLOV.BESLUT"
    assert t.segments == ("REFKOM", "BYGGLOV", "BESLUT")
    assert t.producer == "REFKOM"
    assert t.case_type == "REFKOM.BYGGLOV"
    assert t.event == "BESLUT"


def test_four_segment_code_has_a_nested_case_type():
    t = EventType.parse("LST.VATTENBRUK.TILLSTAND.BESLUT")
    assert t.segments == ("LST", "VATTENBRUK", "TILLSTAND", "BESLUT")
    assert t.producer == "LST"
    assert t.case_type == "LST.VATTENBRUK.TILLSTAND"
    assert t.event == "BESLUT"


def test_digits_and_underscores_after_the_first_segment():
    t = EventType.parse("SKV.F_SKATT2.BESLUT_1")
    assert t.case_type == "SKV.F_SKATT2"


@pytest.mark.parametrize(
    "code",
    [
        "refkom.bygglov.beslut",
        "REFKOM.BYGGLOV.beslut",
        "SKV.MOMS.BESLUT_ÅTERKALLAT",
        "LST.VATTENBRUK.TILLSTÅND",
        "REFKOM.BYGGLOV",
        "REFKOM",
        "",
        "REFKOM..BESLUT",
        "REFKOM.BYGGLOV.",
        ".REFKOM.BYGGLOV.BESLUT",
        "REF1.BYGGLOV.BESLUT",  # the producer segment is letters only
        "REFKOM.BYGG LOV.BESLUT",
        "REFKOM-BYGGLOV-BESLUT",
        None,
        42,
    ],
)
def test_invalid_codes_are_rejected(code):
    with pytest.raises(InvalidEventType):
        EventType.parse(code)


def test_trailing_newline_is_rejected():
    with pytest.raises(InvalidEventType):
        EventType.parse("SKV.MOMS.BESLUT\n")


@pytest.mark.parametrize(
    "code,prefix,expected",
    [
        ("SKV.MOMS.BESLUT", "SKV", True),
        ("SKV.MOMS.BESLUT", "SKV.MOMS", True),
        ("SKV.MOMS.BESLUT", "SKV.MOMS.BESLUT", True),
        ("SKV.MOMSX.BESLUT", "SKV.MOMS", False),
        ("SKV.MOMS.BESLUT", "SKV.MOM", False),
        ("SKVX.MOMS.BESLUT", "SKV", False),
        ("SKV.MOMS.BESLUT", "SKV.MOMS.BESLUT.X", False),
        ("SKV.MOMS.BESLUT", "SKV.MOMS.", False),
        ("SKV.MOMS.BESLUT", "", False),
        ("SKV.MOMS.BESLUT", "BOLV", False),
    ],
)
def test_prefix_matches_only_at_segment_boundaries(code, prefix, expected):
    assert matches_prefix(code, prefix) is expected
    assert EventType.parse(code).matches(prefix) is expected


def test_matches_any():
    assert matches_any("SKV.MOMS.BESLUT", ["BOLV", "SKV.MOMS"])
    assert not matches_any("SKV.MOMSX.BESLUT", ["BOLV", "SKV.MOMS"])
    assert not matches_any("SKV.MOMS.BESLUT", [])


@pytest.mark.parametrize("value,ok", [
    ("SKV", True), ("SKV.MOMS", True), ("LST.VATTENBRUK.TILLSTAND", True),
    ("skv", False), ("SKV.", False), ("", False), ("SKV..MOMS", False), ("SKV.MÅNAD", False), (None, False),
])
def test_is_prefix(value, ok):
    assert is_prefix(value) is ok


def test_case_type_ancestors():
    assert case_type_ancestors("LST.VATTENBRUK.TILLSTAND") == ["LST.VATTENBRUK", "LST.VATTENBRUK.TILLSTAND"]
    assert case_type_ancestors("REFKOM.BYGGLOV") == ["REFKOM.BYGGLOV"]
    assert case_type_ancestors("LST.A.B.C") == ["LST.A", "LST.A.B", "LST.A.B.C"]
    assert case_type_ancestors(EventType.parse("LST.VATTENBRUK.TILLSTAND.BESLUT").case_type)[0] == "LST.VATTENBRUK"
