"""Producer text loses control and direction-override characters before it is stored."""

from __future__ import annotations

from builders import make_event
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.producer_text import clean_event, clean_text
from portal.standard.models import Arende


def test_a_right_to_left_override_and_nul_are_removed_everywhere():
    event = make_event(rubrik="Faktura \u202efdp.exe", beskrivning="Rad ett\nrad\x00 två\ttab",
                       arende=Arende("123\u2066-4\u2069", "Diarienummer"),
                       utokad={"senastDatum": "2026-12-01", "not\u202e": ["a\x1bb"]},
                       referenser={"lank": "https://kommun.example/x", "diarienummer": "\u200f7"})
    clean = clean_event(event)
    assert clean.rubrik == "Faktura fdp.exe"
    assert clean.beskrivning == "Rad ett\nrad två\ttab"  # newline and tab are text
    assert clean.part.arende.identifierare == "123-4"
    assert clean.utokad_information == {"senastDatum": "2026-12-01", "not": ["ab"]}
    assert clean.referenser == {"lank": "https://kommun.example/x", "diarienummer": "7"}
    assert clean.case_key == "Diarienummer:123-4"


def test_clean_text_is_left_as_it_is():
    event = make_event(rubrik="Beslut om bygglov – Åsa Öberg 👩‍👩‍👧 شكرا")
    assert clean_event(event) is event


@given(st.text())
def test_no_unsafe_character_survives(text):
    cleaned = clean_text(text)
    assert not any(ch in cleaned for ch in "\x00\x1b\x7f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
    assert clean_text(cleaned) == cleaned


@pytest.mark.parametrize("where", ["rubrik", "beskrivning", "arende", "utokad key", "utokad list", "referenser"])
def test_one_unsafe_character_anywhere_in_the_event_is_found(where):
    """Each place alone: the check that finds what to clean looks at every string, keys and nested lists too."""
    bad = "x\u202ey"
    fields = {"rubrik": "Beslut", "beskrivning": "Text", "arende": Arende("551-1", "Diarienummer"),
              "utokad": {"senastDatum": "2026-12-01", "lista": ["a", "b"]}, "referenser": {"lank": "https://a.example/"}}
    if where == "rubrik":
        fields["rubrik"] = bad
    elif where == "beskrivning":
        fields["beskrivning"] = bad
    elif where == "arende":
        fields["arende"] = Arende(bad, "Diarienummer")
    elif where == "utokad key":
        fields["utokad"] = {**fields["utokad"], bad: "1"}
    elif where == "utokad list":
        fields["utokad"] = {**fields["utokad"], "lista": ["a", ["b", bad]]}
    else:
        fields["referenser"] = {"lank": "https://a.example/", "diarienummer": bad}
    event = make_event(**fields)
    clean = clean_event(event)
    assert clean is not event
    assert "\u202e" not in str(clean.to_json())
    assert "xy" in str(clean.to_json())
