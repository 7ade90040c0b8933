"""Naming cases by their type in the catalog, telling two of a kind apart, and when a situation applies."""

from __future__ import annotations

from dataclasses import dataclass

from portal.case_names import case_type_of, mark_twins, type_name
from portal.config import SituationConfig
from portal.situations import applies

NAMES = {"LST.VATTENBRUK": {"sv": "Vattenbruk", "en": "Aquaculture"},
         "LST.VATTENBRUK.TILLSTAND": {"sv": "Tillstånd för vattenbruk", "en": "Aquaculture permit"},
         "SJV.STATISTIK": {"sv": "Statistik om vattenbruk"}}


def test_the_most_specific_catalogued_level_names_the_case_in_the_page_language():
    assert type_name("LST.VATTENBRUK.TILLSTAND", NAMES, "sv") == ("Tillstånd för vattenbruk", "sv")
    assert type_name("LST.VATTENBRUK.TILLSTAND", NAMES, "en") == ("Aquaculture permit", "en")
    assert type_name("LST.VATTENBRUK.ANNAT", NAMES, "en") == ("Aquaculture", "en")  # its parent level


def test_a_name_only_in_swedish_says_so_and_an_uncatalogued_type_has_none():
    assert type_name("SJV.STATISTIK", NAMES, "en") == ("Statistik om vattenbruk", "sv")
    assert type_name("SKV.MOMS", NAMES, "sv") is None
    assert case_type_of("SKV.MOMS.BESLUT") == "SKV.MOMS"


@dataclass
class Item:
    producer: str
    title: str
    twin: bool = False


def test_twins_are_cases_of_one_agency_with_one_title():
    items = [Item("skv", "Moms"), Item("skv", "Moms"), Item("skv", "F-skatt"), Item("bv", "Moms")]
    mark_twins(items)
    assert [i.twin for i in items] == [True, True, False, False]


AQUACULTURE = SituationConfig("starta-vattenbruk", "Starta vattenbruk", "Starting aquaculture",
                              ("SKV.MOMS", "LST.VATTENBRUK"), defining_case_types=("LST.VATTENBRUK",))


def test_a_situation_applies_only_with_one_of_its_defining_cases():
    assert not applies(AQUACULTURE, ["SKV.MOMS.DEKLARATION", "SKV.ARBETSGIVARDEKLARATION.MOTTAGEN"])  # a bakery
    assert applies(AQUACULTURE, ["SKV.MOMS.DEKLARATION", "LST.VATTENBRUK.TILLSTAND.MOTTAGEN"])
    # Without defining types, any case of the situation's types will do (the earlier rule).
    loose = SituationConfig("s", "S", "S", ("SKV.MOMS",))
    assert applies(loose, ["SKV.MOMS.DEKLARATION"]) and not applies(loose, ["SKV.FSKATT.BESLUT"])
