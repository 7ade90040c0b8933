"""representation: whom a user may act for, what each basis may see, and session-bound party handles."""

from __future__ import annotations

import json
import re

import pytest
from builders import ORGNR10, ORGNR12, PNR, PNR2, SAMNR
from portal_builders import (
    LST_ORGNR,
    SECRET,
    SKV_ORGNR,
    TANUM_ORGNR,
    company,
    MANDATE_ID,
    mandate_party,
    own_party,
    permission,
    prefix_mappings,
    person,
    signatory_party,
)

from portal.representation import (
    INVALID_GRANTOR,
    INVALID_SIGNATORY,
    MANDATE,
    OWN,
    SIGNATORY,
    Grant,
    Party,
    Representation,
    find_by_handle,
    party_handle,
)
from portal.representation import resolve as resolve_with
from portal.standard.identity import ORGANISATIONSNUMMER, PERSONNUMMER, SAMORDNINGSNUMMER, make_orgnr

ORGNR_B10 = make_orgnr("556000123")  # a second company
ORGNR_B12 = "16" + ORGNR_B10
ORGNR_C10 = make_orgnr("802000456")  # a third one (an association)
ORGNR_C12 = "16" + ORGNR_C10
BAD_ORGNR = ORGNR10[:-1] + str((int(ORGNR10[-1]) + 1) % 10)  # wrong check digit
BAD_PNR = PNR[:-1] + str((int(PNR[-1]) + 1) % 10)

USER = person(PNR)


def resolve(user, name, signatory_of, permissions):
    """resolve() with every granted code mapped to itself as a type prefix (the demo world's convention)."""
    return resolve_with(user, name, signatory_of, permissions, prefix_mappings(permissions))


def _digits(rep: Representation) -> list[str]:
    return [p.identity.digits for p in rep.parties]


# --- resolve -----------------------------------------------------------------------


def test_the_user_alone_has_only_their_own_party():
    rep = resolve(USER, "Anna Användare", [], [])
    assert rep.problems == ()
    assert len(rep.parties) == 1
    me = rep.parties[0]
    assert me.identity == USER
    assert me.name == "Anna Användare"
    assert me.basis == OWN
    assert me.full_access
    assert me.grants == ()


def test_own_party_first_then_signatory_companies_then_mandate_grantors():
    rep = resolve(
        USER,
        "Anna Användare",
        [{"orgnr": ORGNR_B10, "namn": "Östra Fisk AB"}, {"orgnr": ORGNR10, "namn": "Abborre AB"}],
        [permission(PNR2, "pnr", namn="Bertil Bengtsson"), permission(ORGNR_C10, namn="Cyklisternas förening")],
    )
    assert [p.basis for p in rep.parties] == [OWN, SIGNATORY, SIGNATORY, MANDATE, MANDATE]
    assert rep.parties[0].identity == USER
    # Within a basis, by name.
    assert [p.name for p in rep.parties[1:3]] == ["Abborre AB", "Östra Fisk AB"]
    assert [p.name for p in rep.parties[3:]] == ["Bertil Bengtsson", "Cyklisternas förening"]
    assert rep.problems == ()


def test_signatory_company_has_full_access_and_12_digit_identity():
    rep = resolve(USER, "Anna", [{"orgnr": ORGNR10, "namn": "Fiskodlarna AB"}], [])
    firm = rep.find(ORGNR12)
    assert firm is not None
    assert firm.identity.kind == ORGANISATIONSNUMMER
    assert firm.basis == SIGNATORY
    assert firm.full_access
    assert firm.may_see_producer(SKV_ORGNR) and firm.may_see_producer(LST_ORGNR)
    assert firm.may_see(LST_ORGNR, "LST.VATTENBRUK.BESLUT")


def test_signatory_without_name_is_shown_by_its_public_number():
    rep = resolve(USER, "Anna", [{"orgnr": ORGNR10}], [])
    assert rep.find(ORGNR12).name == company().masked()


def test_signatory_rows_with_null_name_do_not_break_resolve():
    rep = resolve(USER, "Anna", [{"orgnr": ORGNR10, "namn": None}, {"orgnr": ORGNR_B10, "namn": "Östra Fisk AB"}],
                  [])
    assert rep.find(ORGNR12).name == company().masked()
    assert rep.find(ORGNR_B12).name == "Östra Fisk AB"


def test_mandate_grantor_gets_grants_per_agency():
    rep = resolve(USER, "Anna", [], [
        permission(ORGNR10, tredjeman=SKV_ORGNR, koder=("SKV.MOMS", "SKV.FSKATT")),
        permission(ORGNR10, tredjeman=LST_ORGNR, koder=("LST.VATTENBRUK",)),
    ])
    firm = rep.find(ORGNR12)
    assert firm.basis == MANDATE
    assert not firm.full_access
    assert set(firm.grants) == {
        Grant(SKV_ORGNR, ("SKV.FSKATT", "SKV.MOMS"), ("SKV.FSKATT", "SKV.MOMS"), (), (MANDATE_ID,)),
        Grant(LST_ORGNR, ("LST.VATTENBRUK",), ("LST.VATTENBRUK",), (), (MANDATE_ID,))}
    assert firm.prefixes_at(SKV_ORGNR) == ("SKV.FSKATT", "SKV.MOMS")
    assert firm.prefixes_at(LST_ORGNR) == ("LST.VATTENBRUK",)
    assert firm.prefixes_at(TANUM_ORGNR) is None


# --- opaque codes -------------------------------------------------------------------------

UUID_MOMS = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
UUID_ALL = "9b2f1c3e-4d5a-4e6f-8a7b-1c2d3e4f5a6b"


def test_opaque_codes_are_read_through_the_agency_mapping():
    mappings = {SKV_ORGNR: {UUID_MOMS: ["SKV.MOMS", "SKV.FSKATT"]}, LST_ORGNR: {UUID_ALL: ["LST"]}}
    rep = resolve_with(USER, "Anna", [], [permission(ORGNR10, koder=(UUID_MOMS,)),
                                          permission(ORGNR10, tredjeman=LST_ORGNR, koder=(UUID_ALL,))], mappings)
    firm = rep.find(ORGNR12)
    assert firm.may_see(SKV_ORGNR, "SKV.FSKATT.BESLUT") and firm.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")
    assert not firm.may_see(SKV_ORGNR, "SKV.ARBETSGIVARE.X")
    assert firm.may_see(LST_ORGNR, "LST.STRANDSKYDD.BESLUT")
    assert firm.uninterpretable_at(SKV_ORGNR) == ()


def test_a_mapping_is_per_agency():
    # The same code at another agency means nothing there unless that agency's mapping says so.
    mappings = {SKV_ORGNR: {UUID_MOMS: ["SKV.MOMS"]}}
    rep = resolve_with(USER, "Anna", [], [permission(ORGNR10, tredjeman=LST_ORGNR, koder=(UUID_MOMS,))], mappings)
    firm = rep.find(ORGNR12)
    assert not firm.may_see_producer(LST_ORGNR)
    assert firm.uninterpretable_at(LST_ORGNR) == (UUID_MOMS,)


def test_an_unmapped_code_is_kept_as_uninterpretable_and_grants_nothing():
    rep = resolve_with(USER, "Anna", [], [permission(ORGNR10, koder=(UUID_MOMS, "SKV.MOMS"))],
                       {SKV_ORGNR: {"SKV.MOMS": ["SKV.MOMS"]}})
    firm = rep.find(ORGNR12)
    assert firm.basis == MANDATE  # still listed, so the user is told what we could not read
    assert firm.uninterpretable_at(SKV_ORGNR) == (UUID_MOMS,)
    assert firm.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")
    assert not firm.may_see(SKV_ORGNR, "SKV.FSKATT.BESLUT")


def test_a_grantor_with_only_uninterpretable_codes_is_listed_but_sees_nothing():
    rep = resolve_with(USER, "Anna", [], [permission(ORGNR10, koder=(UUID_MOMS,))], {})
    firm = rep.find(ORGNR12)
    assert firm is not None and firm.uninterpretable_at(SKV_ORGNR) == (UUID_MOMS,)
    assert not firm.may_see_producer(SKV_ORGNR)
    assert not firm.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")


@pytest.mark.parametrize("typ", ["ombud", "admin", "AKTIV"])
def test_a_permission_of_an_unknown_type_is_uninterpretable(typ):
    rep = resolve(USER, "Anna", [], [permission(ORGNR10, koder=("SKV.MOMS",), typ=typ)])
    firm = rep.find(ORGNR12)
    assert not firm.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")
    assert firm.uninterpretable_at(SKV_ORGNR) == ("SKV.MOMS",)


def test_passiv_is_enough_to_see():
    rep = resolve(USER, "Anna", [], [permission(ORGNR10, koder=("SKV.MOMS",), typ="passiv")])
    assert rep.find(ORGNR12).may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")


def test_a_person_grantor_is_named_fornamn_namn():
    rep = resolve(USER, "Anna", [], [permission(PNR2, "pnr", fornamn="Bertil", namn="Bengtsson")])
    assert rep.find(PNR2).name == "Bertil Bengtsson"


def test_mandate_from_a_person_and_from_a_samordningsnummer_holder():
    rep = resolve(USER, "Anna", [], [permission(PNR2, "pnr", namn="Bertil"), permission(SAMNR, "samnr", namn="Cia")])
    assert rep.find(PNR2).identity.kind == PERSONNUMMER
    assert rep.find(SAMNR).identity.kind == SAMORDNINGSNUMMER
    assert rep.find(PNR2).basis == rep.find(SAMNR).basis == MANDATE


def test_grantor_without_name_is_shown_masked():
    rep = resolve(USER, "Anna", [], [permission(PNR2, "pnr", namn=None)])
    grantor = rep.find(PNR2)
    assert grantor.name == person(PNR2).masked()
    assert PNR2 not in grantor.name


def test_grantor_whose_entries_carry_no_codes_is_left_out():
    rep = resolve(USER, "Anna", [], [permission(ORGNR10, koder=())])
    assert _digits(rep) == [PNR]


def test_company_both_signed_for_and_granted_keeps_signatory_basis():
    rep = resolve(USER, "Anna", [{"orgnr": ORGNR10, "namn": "Fiskodlarna AB"}],
                  [permission(ORGNR10, koder=("SKV.MOMS",))])
    assert _digits(rep) == [PNR, ORGNR12]  # listed once
    firm = rep.find(ORGNR12)
    assert firm.basis == SIGNATORY
    assert firm.full_access
    assert firm.may_see(SKV_ORGNR, "SKV.FSKATT.BESLUT")  # wider than the mandate's SKV.MOMS
    assert firm.may_see(LST_ORGNR, "LST.VATTENBRUK.BESLUT")


def test_a_mandate_from_the_user_to_themself_does_not_replace_own_basis():
    rep = resolve(USER, "Anna", [], [permission(PNR, "pnr", namn="Anna")])
    assert _digits(rep) == [PNR]
    assert rep.parties[0].basis == OWN


@pytest.mark.parametrize("signatory_of,permissions,expected", [
    ([{"orgnr": BAD_ORGNR, "namn": "Trasig AB"}], [], INVALID_SIGNATORY),
    ([{"orgnr": "12345", "namn": "Kort AB"}], [], INVALID_SIGNATORY),
    ([{"namn": "Utan nummer AB"}], [], INVALID_SIGNATORY),
    ([], [permission(BAD_ORGNR)], INVALID_GRANTOR),
    ([], [permission(BAD_PNR, "pnr", namn="Trasig")], INVALID_GRANTOR),
    ([], [permission(PNR, "orgnr", namn="Fel typ")], INVALID_GRANTOR),
    ([], [permission(ORGNR10, "gdnr")], INVALID_GRANTOR),
    ([], [permission(ORGNR10, "username")], INVALID_GRANTOR),  # a type the contract's discriminator knows
])
def test_invalid_identities_from_the_registry_are_skipped_and_reported(signatory_of, permissions, expected):
    rep = resolve(USER, "Anna", signatory_of, permissions)
    assert _digits(rep) == [PNR]
    assert len(rep.problems) == 1
    problem = rep.problems[0]
    assert problem == expected
    assert not re.search(r"\d", problem), "a problem text must not carry an identity number"


def test_one_invalid_entry_does_not_hide_the_valid_ones():
    rep = resolve(USER, "Anna",
                  [{"orgnr": BAD_ORGNR, "namn": "Trasig AB"}, {"orgnr": ORGNR_B10, "namn": "Hel AB"}],
                  [permission(BAD_PNR, "pnr"), permission(ORGNR10)])
    assert _digits(rep) == [PNR, ORGNR_B12, ORGNR12]
    assert set(rep.problems) == {INVALID_SIGNATORY, INVALID_GRANTOR}


# --- Party.may_see -----------------------------------------------------------------


@pytest.mark.parametrize("party", [own_party(), signatory_party()], ids=["own", "signatory"])
@pytest.mark.parametrize("producer,typ", [
    (SKV_ORGNR, "SKV.MOMS.BESLUT"),
    (SKV_ORGNR, "SKV.ARBETSGIVARE.DEKLARATION"),
    (LST_ORGNR, "LST.VATTENBRUK.TILLSTAND.BESLUT"),
    (TANUM_ORGNR, "TANUM.BYGGLOV.MOTTAGEN"),
])
def test_own_and_signatory_see_everything(party, producer, typ):
    assert party.may_see_producer(producer)
    assert party.may_see(producer, typ)
    assert party.prefixes_at(producer) == ()


@pytest.mark.parametrize("producer,typ,expected", [
    (SKV_ORGNR, "SKV.MOMS.BESLUT", True),
    (SKV_ORGNR, "SKV.MOMS.REGISTRERING.MOTTAGEN", True),  # deeper case types under SKV.MOMS
    (SKV_ORGNR, "SKV.MOMSX.X", False),  # not at a segment boundary
    (SKV_ORGNR, "SKV.ARBETSGIVARE.X", False),  # another case type at the same agency
    (SKV_ORGNR, "SKV.FSKATT.BESLUT", False),
    (LST_ORGNR, "SKV.MOMS.BESLUT", False),  # right type, wrong agency
    (TANUM_ORGNR, "TANUM.BYGGLOV.MOTTAGEN", False),
])
def test_mandate_sees_only_covered_types_at_the_named_agency(producer, typ, expected):
    party = mandate_party((SKV_ORGNR, ("SKV.MOMS",)))
    assert party.may_see(producer, typ) is expected


def test_mandate_code_for_a_whole_agency():
    party = mandate_party((SKV_ORGNR, ("SKV",)))
    assert party.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")
    assert party.may_see(SKV_ORGNR, "SKV.ARBETSGIVARE.X")
    assert not party.may_see(SKV_ORGNR, "SKVX.MOMS.BESLUT")
    assert not party.may_see(LST_ORGNR, "LST.VATTENBRUK.BESLUT")


def test_mandate_with_grants_at_two_agencies():
    party = mandate_party((SKV_ORGNR, ("SKV.MOMS",)), (LST_ORGNR, ("LST.VATTENBRUK",)))
    assert party.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")
    assert party.may_see(LST_ORGNR, "LST.VATTENBRUK.ANMALAN")
    assert not party.may_see(LST_ORGNR, "LST.STRANDSKYDD.BESLUT")
    # A code is only good at its own agency.
    assert not party.may_see(SKV_ORGNR, "LST.VATTENBRUK.ANMALAN")


def test_may_see_producer_follows_the_tredjeman():
    party = mandate_party((SKV_ORGNR, ("SKV.MOMS",)))
    assert party.may_see_producer(SKV_ORGNR)
    assert not party.may_see_producer(LST_ORGNR)
    assert not party.may_see_producer(TANUM_ORGNR)


def test_a_grant_without_codes_reaches_nothing():
    party = Party(company(), "Fiskodlarna AB", MANDATE, (Grant(SKV_ORGNR, ()),))
    assert not party.may_see_producer(SKV_ORGNR)
    assert not party.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")


# --- scope labels --------------------------------------------------------------------


def test_scope_of_full_access_is_a_wildcard():
    assert own_party().scope(SKV_ORGNR) == signatory_party().scope(LST_ORGNR) == "*"


def test_scope_is_stable_regardless_of_code_order_and_grant_split():
    a = mandate_party((SKV_ORGNR, ("SKV.MOMS", "SKV.FSKATT")))
    b = mandate_party((SKV_ORGNR, ("SKV.FSKATT", "SKV.MOMS")))
    c = mandate_party((SKV_ORGNR, ("SKV.FSKATT",)), (SKV_ORGNR, ("SKV.MOMS",)))
    assert a.scope(SKV_ORGNR) == b.scope(SKV_ORGNR) == c.scope(SKV_ORGNR)
    assert a.scope(SKV_ORGNR) == mandate_party((SKV_ORGNR, ("SKV.MOMS", "SKV.FSKATT"))).scope(SKV_ORGNR)


def test_scope_differs_for_different_grants():
    labels = {
        own_party().scope(SKV_ORGNR),
        mandate_party((SKV_ORGNR, ("SKV.MOMS",))).scope(SKV_ORGNR),
        mandate_party((SKV_ORGNR, ("SKV",))).scope(SKV_ORGNR),
        mandate_party((SKV_ORGNR, ("SKV.MOMS", "SKV.FSKATT"))).scope(SKV_ORGNR),
    }
    assert len(labels) == 4


def test_scope_at_one_agency_ignores_grants_at_another():
    one = mandate_party((SKV_ORGNR, ("SKV.MOMS",)))
    two = mandate_party((SKV_ORGNR, ("SKV.MOMS",)), (LST_ORGNR, ("LST.VATTENBRUK",)))
    assert one.scope(SKV_ORGNR) == two.scope(SKV_ORGNR)
    assert two.scope(LST_ORGNR) != two.scope(SKV_ORGNR)


# --- JSON round trip -----------------------------------------------------------------


@pytest.mark.parametrize("party", [
    own_party(),
    signatory_party(),
    mandate_party((SKV_ORGNR, ("SKV.FSKATT", "SKV.MOMS")), (LST_ORGNR, ("LST.VATTENBRUK",))),
    Party(person(SAMNR), "Cia", MANDATE, (Grant(TANUM_ORGNR, ("TANUM.BYGGLOV",)),)),
], ids=["own", "signatory", "mandate", "samnr-mandate"])
def test_party_json_round_trip(party):
    data = party.to_json()
    again = Party.from_json(json.loads(json.dumps(data)))
    assert again == party
    assert again.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT") == party.may_see(SKV_ORGNR, "SKV.MOMS.BESLUT")
    assert again.scope(SKV_ORGNR) == party.scope(SKV_ORGNR)


# --- handles -------------------------------------------------------------------------

NONCE = "session-nonce-aaaaaaaaaaaaaaaaaaaa"
OTHER_NONCE = "session-nonce-bbbbbbbbbbbbbbbbbbbb"


def test_handle_is_stable_within_a_session():
    party = mandate_party()
    assert party_handle(SECRET, NONCE, party) == party_handle(SECRET, NONCE, party)
    # Only the identity names the party: a fresh look-up with other grants keeps the handle.
    assert party_handle(SECRET, NONCE, party) == party_handle(SECRET, NONCE, signatory_party())


def test_handle_differs_across_sessions_secrets_and_parties():
    party = mandate_party()
    handles = {
        party_handle(SECRET, NONCE, party),
        party_handle(SECRET, OTHER_NONCE, party),
        party_handle(SECRET + "x", NONCE, party),
        party_handle(SECRET, NONCE, own_party()),
        party_handle(SECRET, NONCE, own_party(PNR2)),
    }
    assert len(handles) == 5


@pytest.mark.parametrize("party", [own_party(), own_party(PNR2), signatory_party(), mandate_party(identity=person(SAMNR))])
def test_handle_reveals_nothing_of_the_identity(party):
    handle = party_handle(SECRET, NONCE, party)
    assert len(handle) == 24
    assert re.fullmatch(r"[a-z2-7]{24}", handle)  # URL-safe, no padding
    digits = party.identity.digits
    assert digits not in handle and digits[2:] not in handle
    assert digits[:8] not in handle  # birth date
    assert digits[-4:] not in handle  # the personal part


def _rep(*parties: Party) -> Representation:
    return Representation(tuple(parties))


def test_find_by_handle_finds_each_party_of_this_session():
    parties = (own_party(), signatory_party(), mandate_party(identity=person(PNR2), name="Bertil"))
    rep = _rep(*parties)
    for party in parties:
        assert find_by_handle(rep, party_handle(SECRET, NONCE, party), SECRET, NONCE) == party


def test_find_by_handle_rejects_a_handle_from_another_session():
    party = signatory_party()
    rep = _rep(own_party(), party)
    assert find_by_handle(rep, party_handle(SECRET, OTHER_NONCE, party), SECRET, NONCE) is None


def test_find_by_handle_rejects_a_handle_made_with_another_secret():
    party = signatory_party()
    rep = _rep(own_party(), party)
    assert find_by_handle(rep, party_handle("another-secret", NONCE, party), SECRET, NONCE) is None


@pytest.mark.parametrize("bad", ["", "a" * 23, "a" * 25, "a" * 24, None, 12345, b"a" * 24, ["a" * 24]])
def test_find_by_handle_rejects_malformed_handles(bad):
    rep = _rep(own_party(), signatory_party())
    assert find_by_handle(rep, bad, SECRET, NONCE) is None


@pytest.mark.parametrize("bad", ["å" * 24, "abcdefghijklmnopqrstuvw\u00e9"], ids=["a-ring", "e-acute"])
def test_find_by_handle_rejects_non_ascii_handles(bad):
    rep = _rep(own_party(), signatory_party())
    assert find_by_handle(rep, bad, SECRET, NONCE) is None


def test_find_by_handle_rejects_a_handle_padded_or_truncated():
    party = signatory_party()
    rep = _rep(own_party(), party)
    good = party_handle(SECRET, NONCE, party)
    assert find_by_handle(rep, good[:-1], SECRET, NONCE) is None
    assert find_by_handle(rep, good + "a", SECRET, NONCE) is None


def test_find_by_handle_rejects_a_party_no_longer_represented():
    gone = mandate_party()
    handle = party_handle(SECRET, NONCE, gone)
    assert find_by_handle(_rep(own_party(), gone), handle, SECRET, NONCE) == gone
    # The mandate was revoked: the next look-up no longer lists the company.
    assert find_by_handle(_rep(own_party()), handle, SECRET, NONCE) is None


def test_find_by_digits():
    rep = _rep(own_party(), signatory_party())
    assert rep.find(ORGNR12).basis == SIGNATORY
    assert rep.find(ORGNR10) is None  # the 10-digit form is Mina ombud's, not the portal's
    assert rep.find(PNR2) is None
