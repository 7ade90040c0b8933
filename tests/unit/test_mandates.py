"""mandates: which fullmakter count on a day, and what sok/behorigheter answers."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import ORGNR10, PNR, PNR2, SAMNR, fullmakt
from portal_builders import config_doc, permission

from portal import config as config_mod
from portal.permissions import mappings_for
from portal.standard import schemas
from portal.standard.mandates import (code_covers, code_prefixes, display_name, find_mandate, find_permissions, roll,
                                      selected_typ, valid_on)

TODAY = dt.date(2026, 6, 15)
SKV = "2021005448"
LST = "2021002114"  # Länsstyrelsen Västra Götaland, as in portal/demo.toml
HOLDER = {"id": PNR, "typ": "pnr"}
FIRM = {"id": ORGNR10, "typ": "orgnr", "namn": "Fiskodlarna AB"}
PERSON_GIVER = {"id": PNR2, "typ": "pnr", "namn": "Anna Andersson"}


def test_builder_is_schema_valid():
    assert schemas.problems("ombud", fullmakt(), "Fullmakt") == []
    assert schemas.problems("ombud", {"fullmakter": [fullmakt(aterkallad="2026-07-01")]}, "Registerfil") == []


def test_a_mandate_without_giltig_tom_is_open_ended():
    assert valid_on(fullmakt(giltig_tom=None), dt.date(2099, 1, 1))
    assert not valid_on(fullmakt(giltig_tom=None), dt.date(2025, 12, 31))


# --- valid_on ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "day,expected",
    [
        (dt.date(2025, 12, 31), False),
        (dt.date(2026, 1, 1), True),  # first day
        (dt.date(2026, 6, 15), True),
        (dt.date(2026, 12, 31), True),  # last day
        (dt.date(2027, 1, 1), False),  # the day after giltigTom
    ],
)
def test_valid_on_boundaries(day, expected):
    assert valid_on(fullmakt(), day) is expected


@pytest.mark.parametrize(
    "day,expected",
    [
        (dt.date(2026, 6, 14), True),  # before the revocation
        (dt.date(2026, 6, 15), False),  # on the day it is revoked
        (dt.date(2026, 6, 16), False),  # after
    ],
)
def test_valid_on_revocation(day, expected):
    assert valid_on(fullmakt(aterkallad="2026-06-15"), day) is expected


def test_single_day_mandate():
    f = fullmakt(giltig_from="2026-06-15", giltig_tom="2026-06-15")
    assert valid_on(f, TODAY)
    assert not valid_on(f, TODAY + dt.timedelta(days=1))
    assert not valid_on(f, TODAY - dt.timedelta(days=1))


def test_roll():
    assert roll("orgnr") == "ORGANISATION"
    assert roll("pnr") == "PRIVAT" and roll("samnr") == "PRIVAT" and roll("gdnr") == "PRIVAT"


# --- find_permissions ------------------------------------------------------------------


def test_one_mandate_one_entry():
    out = find_permissions([fullmakt()], HOLDER, today=TODAY)
    assert out == [{
        "fullmaktsgivare": {"id": ORGNR10, "typ": "orgnr", "roll": "ORGANISATION", "namn": "Fiskodlarna AB"},
        "fullmaktshavare": [HOLDER],
        "tredjeman": SKV,
        "behorigheter": [{"kod": "SKV.MOMS", "typ": "aktiv", "fullmakt": "fm-1"}],
    }]


def test_answer_matches_the_contract_schema():
    out = find_permissions([fullmakt(), fullmakt("fm-2", tredjeman=LST, koder=[("LST", "passiv")])],
                           HOLDER, today=TODAY)
    for entry in out:
        entry["_sig"] = {"signature": "x"}
    body = {"fullmaktsgivare": out, "page": {"size": 20, "number": 0, "totalElements": len(out), "totalPages": 1}}
    assert schemas.problems("ombud", body, "SokBehorigheterSvar") == []


def test_groups_per_grantor_and_third_party():
    fullmakter = [
        fullmakt("fm-1", tredjeman=SKV, koder=[("SKV.MOMS", "aktiv")]),
        fullmakt("fm-2", tredjeman=SKV, koder=[("SKV.FSKATT", "passiv")]),
        fullmakt("fm-3", tredjeman=LST, koder=[("LST.VATTENBRUK", "aktiv")]),
        fullmakt("fm-4", giver=PERSON_GIVER, tredjeman=SKV, koder=[("SKV", "passiv")]),
    ]
    out = find_permissions(fullmakter, HOLDER, today=TODAY)
    summary = {(e["fullmaktsgivare"]["id"], e["tredjeman"]): [(b["kod"], b["typ"], b["fullmakt"])
                                                              for b in e["behorigheter"]] for e in out}
    assert summary == {
        (ORGNR10, SKV): [("SKV.FSKATT", "passiv", "fm-2"), ("SKV.MOMS", "aktiv", "fm-1")],
        (ORGNR10, LST): [("LST.VATTENBRUK", "aktiv", "fm-3")],
        (PNR2, SKV): [("SKV", "passiv", "fm-4")],
    }
    assert len(out) == 3
    roles = {e["fullmaktsgivare"]["id"]: e["fullmaktsgivare"]["roll"] for e in out}
    assert roles == {ORGNR10: "ORGANISATION", PNR2: "PRIVAT"}


@pytest.mark.parametrize("order", [("passiv", "aktiv"), ("aktiv", "passiv")])
def test_aktiv_beats_passiv_across_mandates_and_names_the_mandate(order):
    first, second = order
    fullmakter = [
        fullmakt(f"fm-{first}", koder=[("SKV.MOMS", first)]),
        fullmakt(f"fm-{second}", koder=[("SKV.MOMS", second)]),
    ]
    out = find_permissions(fullmakter, HOLDER, today=TODAY)
    assert out[0]["behorigheter"] == [{"kod": "SKV.MOMS", "typ": "aktiv", "fullmakt": "fm-aktiv"}]


def test_the_selected_type_counts_not_the_ones_offered():
    f = fullmakt(koder=[("SKV.MOMS", "passiv")])
    assert [t["typ"] for t in f["behorigheter"][0]["behorighetsobjekt"]["typer"]] == ["aktiv", "passiv"]
    out = find_permissions([f], HOLDER, today=TODAY)
    assert out[0]["behorigheter"][0]["typ"] == "passiv"


def test_an_object_with_no_selected_type_grants_nothing():
    f = fullmakt()
    for t in f["behorigheter"][0]["behorighetsobjekt"]["typer"]:
        t["vald"] = False
    assert selected_typ(f["behorigheter"][0]["behorighetsobjekt"]) is None
    assert find_permissions([f], HOLDER, today=TODAY) == []


def test_same_type_twice_the_latest_giltig_from_wins():
    fullmakter = [fullmakt("older", giltig_from="2026-01-01"), fullmakt("newer", giltig_from="2026-03-01"),
                  fullmakt("oldest", giltig_from="2025-06-01")]
    out = find_permissions(fullmakter, HOLDER, today=TODAY)
    assert out[0]["behorigheter"][0]["fullmakt"] == "newer"


def test_grantors_are_sorted_by_name_and_a_person_is_named_fornamn_namn():
    person = {"id": PNR2, "typ": "pnr", "fornamn": "Anna", "namn": "Andersson"}
    fullmakter = [fullmakt("firm"), fullmakt("person", giver=person)]
    out = find_permissions(fullmakter, HOLDER, today=TODAY)
    assert [display_name(e["fullmaktsgivare"]) for e in out] == ["Anna Andersson", "Fiskodlarna AB"]
    assert out[0]["fullmaktsgivare"] == {**person, "roll": "PRIVAT"}


def test_expired_or_revoked_aktiv_does_not_beat_a_valid_passiv():
    fullmakter = [
        fullmakt("fm-expired", koder=[("SKV.MOMS", "aktiv")], giltig_tom="2026-06-14"),
        fullmakt("fm-revoked", koder=[("SKV.MOMS", "aktiv")], aterkallad="2026-06-15"),
        fullmakt("fm-future", koder=[("SKV.MOMS", "aktiv")], giltig_from="2026-06-16"),
        fullmakt("fm-passiv", koder=[("SKV.MOMS", "passiv")]),
    ]
    out = find_permissions(fullmakter, HOLDER, today=TODAY)
    assert out[0]["behorigheter"] == [{"kod": "SKV.MOMS", "typ": "passiv", "fullmakt": "fm-passiv"}]


def test_only_expired_and_revoked_gives_nothing():
    fullmakter = [fullmakt("a", giltig_tom="2026-06-14"), fullmakt("b", aterkallad="2026-01-01")]
    assert find_permissions(fullmakter, HOLDER, today=TODAY) == []


@pytest.mark.parametrize(
    "holder",
    [
        {"id": PNR2, "typ": "pnr"},
        {"id": PNR, "typ": "samnr"},  # same digits, other identity type
        {"id": SAMNR, "typ": "samnr"},
        {"id": ORGNR10, "typ": "orgnr"},  # the grantor is not a holder
    ],
)
def test_holders_not_listed_get_nothing(holder):
    assert find_permissions([fullmakt()], holder, today=TODAY) == []


def test_any_listed_holder_gets_the_permissions():
    f = fullmakt()
    f["fullmaktshavare"] = [{"id": PNR2, "typ": "pnr", "namn": "Bo"}, {**HOLDER, "namn": "Anna"}]
    out = find_permissions([f], HOLDER, today=TODAY)
    assert out[0]["behorigheter"][0]["kod"] == "SKV.MOMS"
    assert out[0]["fullmaktshavare"] == [{"id": PNR2, "typ": "pnr"}, HOLDER]  # ids and types, no names


def test_filter_by_tredjeman():
    fullmakter = [fullmakt("fm-skv", tredjeman=SKV), fullmakt("fm-lst", tredjeman=LST, koder=[("LST", "aktiv")])]
    out = find_permissions(fullmakter, HOLDER, today=TODAY, tredjeman=LST)
    assert [(e["tredjeman"], e["behorigheter"][0]["fullmakt"]) for e in out] == [(LST, "fm-lst")]
    assert find_permissions(fullmakter, HOLDER, today=TODAY, tredjeman="2120000142") == []


def test_filter_by_giver():
    fullmakter = [fullmakt("fm-firm"), fullmakt("fm-person", giver=PERSON_GIVER)]
    out = find_permissions(fullmakter, HOLDER, today=TODAY, giver={"id": PNR2, "typ": "pnr"})
    assert [e["fullmaktsgivare"]["id"] for e in out] == [PNR2]
    # the giver's type must match too
    assert find_permissions(fullmakter, HOLDER, today=TODAY, giver={"id": PNR2, "typ": "samnr"}) == []


def test_filter_by_codes():
    fullmakter = [fullmakt(koder=[("SKV.MOMS", "aktiv"), ("SKV.FSKATT", "passiv"), ("SKV.DEKL", "aktiv")])]
    out = find_permissions(fullmakter, HOLDER, today=TODAY, codes=["SKV.FSKATT", "SKV.DEKL"])
    assert [b["kod"] for b in out[0]["behorigheter"]] == ["SKV.DEKL", "SKV.FSKATT"]
    # codes are exact, not prefixes; an entry left with no permission disappears
    assert find_permissions(fullmakter, HOLDER, today=TODAY, codes=["SKV"]) == []
    # an empty list means every code
    assert len(find_permissions(fullmakter, HOLDER, today=TODAY, codes=[])[0]["behorigheter"]) == 3


def test_result_is_ordered_and_does_not_alias_the_input():
    fullmakter = [fullmakt("b", tredjeman=SKV), fullmakt("a", tredjeman=LST, koder=[("LST", "aktiv")])]
    out = find_permissions(fullmakter, HOLDER, today=TODAY)
    assert [e["tredjeman"] for e in out] == sorted([SKV, LST])
    out[0]["fullmaktshavare"][0]["id"] = "changed"
    out[0]["fullmaktsgivare"]["namn"] = "changed"
    assert fullmakter[0]["fullmaktshavare"][0]["id"] == PNR and fullmakter[1]["fullmaktshavare"][0]["id"] == PNR
    assert fullmakter[0]["fullmaktsgivare"]["namn"] == "Fiskodlarna AB"


def test_find_mandate_by_agency_and_id():
    fullmakter = [fullmakt("a", tredjeman=SKV), fullmakt("b", tredjeman=LST)]
    assert find_mandate(fullmakter, SKV, "a")["id"] == "a"
    assert find_mandate(fullmakter, LST, "a") is None  # another agency's mandate is not found through this one
    assert find_mandate(fullmakter, SKV, "nope") is None


# --- code_covers: codes are opaque, only a mapping gives them meaning ------------------------


@pytest.mark.parametrize(
    "code,event_type,expected",
    [
        ("SKV", "SKV.MOMS.BESLUT", True),
        ("SKV.MOMS", "SKV.MOMS.BESLUT", True),
        ("SKV.MOMS", "SKV.MOMSX.BESLUT", False),
        ("SKV.MOMS", "SKV.FSKATT.BESLUT", False),
        ("SKV", "LST.VATTENBRUK.BESLUT", False),
    ],
)
def test_code_covers_through_a_prefix_mapping(code, event_type, expected):
    mapping = {"SKV": ["SKV"], "SKV.MOMS": ["SKV.MOMS"]}
    assert code_covers(code, event_type, mapping) is expected


def test_an_opaque_code_covers_what_its_mapping_says():
    uuid_code = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    mapping = {uuid_code: ["LST.VATTENBRUK", "SJV.VATTENBRUK"], "SKV.MOMS": ["SKV.MOMS.BESLUT"]}
    assert code_covers(uuid_code, "LST.VATTENBRUK.TILLSTAND.BESLUT", mapping)
    assert code_covers(uuid_code, "SJV.VATTENBRUK.REGISTRERING.KLAR", mapping)
    assert not code_covers(uuid_code, "LST.VATTENBRUKX.BESLUT", mapping)
    # a mapped code means its mapping, not its own spelling as a prefix
    assert code_covers("SKV.MOMS", "SKV.MOMS.BESLUT", mapping)
    assert not code_covers("SKV.MOMS", "SKV.MOMS.ANSTAND", mapping)


@pytest.mark.parametrize("mapping", [None, {}, {"OTHER": ["SKV"]}])
def test_an_unmapped_code_covers_nothing_even_when_it_looks_like_a_prefix(mapping):
    assert code_prefixes("SKV", mapping) is None
    assert not code_covers("SKV", "SKV.MOMS.BESLUT", mapping)


# --- permission mappings per agency (config first, then the agency's catalog) -----------------------------------


def test_mappings_come_from_config_then_catalog_and_only_when_needed():
    doc = config_doc()
    doc["permissions"] = {"skatteverket": {"CFG": ["SKV.MOMS"], "BOTH": ["SKV.FSKATT"]}}
    cfg = config_mod.parse(doc, {}, testing=True)
    asked = []

    def catalogs():
        asked.append(1)
        return {"skatteverket": {"behorighetskoder": [{"kod": "CAT", "prefix": ["SKV"]},
                                                      {"kod": "BOTH", "prefix": ["SKV"]}]},
                "lansstyrelsen": None}

    only_configured = [permission("5560001231", tredjeman=SKV, koder=("CFG",))]
    assert mappings_for(cfg, only_configured, catalogs) == {SKV: {"CFG": ["SKV.MOMS"], "BOTH": ["SKV.FSKATT"]}}
    assert asked == []  # every code was in the config: no catalog needed
    entries = [permission("5560001231", tredjeman=SKV, koder=("CAT", "BOTH")),
               permission("5560001231", tredjeman=LST, koder=("X",))]
    out = mappings_for(cfg, entries, catalogs)
    assert out[SKV] == {"CFG": ["SKV.MOMS"], "BOTH": ["SKV.FSKATT"], "CAT": ["SKV"]}  # the config wins
    assert out[LST] == {}  # Länsstyrelsen publishes no catalog: X stays uninterpretable
    assert "2120000142" not in mappings_for(cfg, [permission("5560001231", tredjeman="2120000142")], catalogs)
