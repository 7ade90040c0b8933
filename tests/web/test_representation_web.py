"""Who sees what: the user themself, signatories, and representatives by mandate (Mina ombud)."""

from __future__ import annotations

import copy
import json

from webtools import (demo_cases, ALI, DATA, EVA, KARIN, OLLE, act_as, case_agencies, case_cards, case_refs, demo_refs, login,
                      notices, page, party_name, status_items, switcher_options, text_of)
from portal.representation import party_handle
from portal.standard.identity import Identity
from portal.store import connect

ALL_AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                "livsmedelsverket", "lantmateriet")
OSTRON_AB = "165590001235"
KUSTBAGERIET = "165590002340"
FJALLBYGG = "165590003454"


def _home(client):
    r = client.get("/")
    assert r.status_code == 200
    return page(r)


def test_karin_sees_her_own_and_her_sole_trader_firms_cases(client):
    login(client, KARIN)
    soup = _home(client)
    assert party_name(soup) == "Karin Ström"
    refs = case_refs(soup)
    # Her own cases (Skatteverket) and those of her sole-trader firm (Jordbruksverket, part.kund.tillagg = 1).
    assert refs == demo_refs(KARIN, ALL_AGENCIES)
    firm_refs = {label for (_, label), events in demo_cases(KARIN, ["jordbruksverket"]).items()
                 if any(e["part"]["kund"].get("tillagg") for e in events)}
    assert firm_refs and firm_refs <= refs
    assert case_agencies(soup) == {"Skatteverket", "Jordbruksverket"}
    # Nothing of the company she signs for while she acts as herself.
    assert not refs & demo_refs(OSTRON_AB, ALL_AGENCIES)


def test_karin_switches_to_her_company_as_signatory_and_sees_every_agency(client):
    login(client, KARIN)
    soup = _home(client)
    assert switcher_options(soup) == ["Karin Ström – du själv", "Bohusläns Ostron AB – firmatecknare"]
    r = act_as(client, "Bohusläns Ostron AB")
    assert r.status_code == 302
    soup = _home(client)
    assert party_name(soup) == "Bohusläns Ostron AB"
    assert text_of(soup.select_one(".party-bar__basis")) == "(firmatecknare)"
    assert case_refs(soup) == demo_refs(OSTRON_AB, ALL_AGENCIES)
    assert case_agencies(soup) == {"Skatteverket", "Bolagsverket", "Länsstyrelsen Västra Götaland", "Jordbruksverket",
                                   "Tanums kommun", "Livsmedelsverket"}
    # A signatory's basis reaches every agency.
    assert set(status_items(soup)) == set(ALL_AGENCIES)
    assert not case_refs(soup) & demo_refs(KARIN, ALL_AGENCIES)
    # The selected option is the company.
    assert text_of(soup.select_one("#party-select option[selected]")).startswith("Bohusläns Ostron AB – firmatecknare")


def test_eva_switcher_lists_valid_mandates_only(client):
    login(client, EVA)
    soup = _home(client)
    options = switcher_options(soup)
    names = {o.split(" – ")[0] for o in options}
    assert {"Kustbageriet AB", "Fjällbygg AB", "Bohusläns Ostron AB", "Karin Ström"} <= names
    assert "Västkust Logistik AB" not in names  # mandate expired 2026-06-30
    assert "Hamnkrogen i Grebbestad AB" not in names  # mandate revoked 2026-10-01
    for name in ("Kustbageriet AB", "Fjällbygg AB", "Bohusläns Ostron AB", "Karin Ström"):
        assert f"{name} – fullmakt" in options
    assert options[0] == "Eva Nyström – du själv"
    assert party_name(soup) == "Eva Nyström"
    assert case_refs(soup) == demo_refs(EVA, ALL_AGENCIES)


def test_eva_for_kustbageriet_sees_only_skatteverket(client):
    login(client, EVA)
    assert act_as(client, "Kustbageriet AB").status_code == 302
    soup = _home(client)
    assert party_name(soup) == "Kustbageriet AB"
    assert text_of(soup.select_one(".party-bar__basis")) == "(fullmakt)"
    assert list(status_items(soup)) == ["skatteverket"]
    assert case_agencies(soup) == {"Skatteverket"}
    assert case_refs(soup) == demo_refs(KUSTBAGERIET, ["skatteverket"])
    # Kustbageriet has cases at Bolagsverket and Tanums kommun too; the mandate does not reach them.
    hidden = demo_refs(KUSTBAGERIET, ["bolagsverket", "tanum"])
    assert hidden and not case_refs(soup) & hidden


def test_eva_for_fjallbygg_sees_vat_and_bolagsverket_only(client):
    login(client, EVA)
    assert act_as(client, "Fjällbygg AB").status_code == 302
    soup = _home(client)
    assert party_name(soup) == "Fjällbygg AB"
    assert set(status_items(soup)) == {"skatteverket", "bolagsverket"}
    expected = demo_refs(FJALLBYGG, ["skatteverket"], "SKV.MOMS") | demo_refs(FJALLBYGG, ["bolagsverket"])
    assert case_refs(soup) == expected
    employer = demo_refs(FJALLBYGG, ["skatteverket"], "SKV.ARBETSGIVARDEKLARATION")
    county = demo_refs(FJALLBYGG, ["lansstyrelsen"])
    assert employer and county
    assert not case_refs(soup) & (employer | county)
    assert "Länsstyrelsen Västra Götaland" not in case_agencies(soup)


def test_eva_for_karin_sees_only_income_tax_cases(client):
    login(client, EVA)
    assert act_as(client, "Karin Ström").status_code == 302
    soup = _home(client)
    assert party_name(soup) == "Karin Ström"
    assert case_refs(soup) == demo_refs(KARIN, ["skatteverket"], "SKV.INKOMSTDEKLARATION")
    assert not case_refs(soup) & demo_refs(KARIN, ["jordbruksverket"])  # her firm's cases stay hidden


def _option_value(soup, name: str) -> str:
    return next(o["value"] for o in soup.select("#party-select option") if text_of(o).startswith(name + " – "))


def _form_token(soup) -> str:
    return soup.select_one('.party-form input[name="csrf_token"]')["value"]


def test_party_handle_from_another_session_is_refused(app, client):
    login(client, EVA)
    other = app.test_client()
    login(other, EVA)
    foreign_handle = _option_value(_home(other), "Kustbageriet AB")
    soup = _home(client)
    own_handle = _option_value(soup, "Kustbageriet AB")
    assert foreign_handle != own_handle
    r = client.post("/act-as", data={"party": foreign_handle, "csrf_token": _form_token(soup)})
    assert r.status_code == 403
    assert party_name(_home(client)) == "Eva Nyström"
    # The other session's own handle still works there.
    assert other.post("/act-as", data={"party": foreign_handle,
                                       "csrf_token": _form_token(_home(other))}).status_code == 302
    assert party_name(_home(other)) == "Kustbageriet AB"


def test_forged_party_handles_are_refused(app, client):
    login(client, EVA)
    soup = _home(client)
    token = _form_token(soup)
    real = _option_value(soup, "Kustbageriet AB")
    altered = real[:-1] + ("x" if real[-1] != "x" else "y")  # one character off (never the real handle itself)
    for forged in ("", "a" * 24, altered, "5590002340", KUSTBAGERIET):
        assert client.post("/act-as", data={"party": forged, "csrf_token": token}).status_code == 403, forged
    # A well-formed handle (right key, right session) for a company whose mandate expired is refused too.
    db = connect(app.extensions["portal"].config.settings.database)
    try:
        nonces = [r[0] for r in db.execute("select nonce from sessions where ended_at is null")]
    finally:
        db.close()
    assert len(nonces) == 1
    for orgnr in ("165590004569", "165590005673"):  # Västkust Logistik (expired), Hamnkrogen (revoked)
        handle = party_handle(app.secret_key, nonces[0], _party(orgnr))
        r = client.post("/act-as", data={"party": handle, "csrf_token": token})
        assert r.status_code == 403, (orgnr, r.headers.get("Location"))
    assert party_name(_home(client)) == "Eva Nyström"


def _party(digits: str):
    from portal.representation import Party
    return Party(Identity(digits, "Organisationsnummer"), "x", "mandate")


def test_act_as_needs_csrf(client):
    login(client, EVA)
    soup = _home(client)
    r = client.post("/act-as", data={"party": _option_value(soup, "Kustbageriet AB")})
    assert r.status_code == 400
    assert party_name(_home(client)) == "Eva Nyström"


def test_revoked_mandate_stops_working_at_the_next_request(private_world, make_private_app):
    app = make_private_app(representation_ttl_s=0)
    client = app.test_client()
    login(client, EVA)
    assert act_as(client, "Kustbageriet AB").status_code == 302
    soup = _home(client)
    assert party_name(soup) == "Kustbageriet AB"
    kustbageriet_refs = case_refs(soup)
    assert kustbageriet_refs
    case_href = soup.select_one("main .case-card__title a")["href"]
    assert client.get(case_href).status_code == 200

    registry = json.loads((DATA / "minaombud.json").read_text(encoding="utf-8"))
    revoked = copy.deepcopy(registry)
    (mandate,) = [f for f in revoked["fullmakter"] if f["fullmaktsgivare"]["id"] == "5590002340"
                  and f["fullmaktshavare"][0]["id"] == EVA]
    mandate["aterkallad"] = "2026-11-01"
    r = private_world.admin("PUT", "/registry", revoked)
    assert r.status_code == 200, r.text

    soup = _home(client)
    assert party_name(soup) == "Eva Nyström"
    assert "Du kan inte längre företräda den du hade valt. Nu ser du dina egna ärenden." in notices(soup)
    assert case_refs(soup) == demo_refs(EVA, ALL_AGENCIES)
    assert not case_refs(soup) & kustbageriet_refs
    assert "Kustbageriet AB" not in {o.split(" – ")[0] for o in switcher_options(soup)}
    # The notice is said once, not on every page after.
    assert not notices(_home(client))
    # Kustbageriet's case pages are gone too.
    assert client.get(case_href).status_code == 404


REGISTRY_DOWN = ("Vi kunde inte kontrollera dina fullmakter i Mina ombud (tjänsten svarade inte i tid eller svarade på "
                 "ett sätt vi inte kan läsa), så ingen som gett dig fullmakt visas just nu.")
SIGNATORY_DOWN = ("Vi kunde inte slå upp vilka företag du får teckna firma för (företagsregistret svarade inte i tid "
                  "eller svarade på ett sätt vi inte kan läsa), så de visas inte just nu.")
STILL_OWN = "Du kan fortfarande se dina egna ärenden. Vi försöker igen när du öppnar nästa sida."


def test_registry_down_a_mandate_falls_back_to_own_cases_and_signatories_still_work(private_world, make_private_app):
    app = make_private_app(representation_ttl_s=0)
    client = app.test_client()
    login(client, EVA)
    assert act_as(client, "Kustbageriet AB").status_code == 302
    r = private_world.admin("PUT", "/faults/minaombud", {"fault": "error500"})
    assert r.status_code == 200
    soup = _home(client)
    assert party_name(soup) == "Eva Nyström"
    assert REGISTRY_DOWN in notices(soup) and STILL_OWN in notices(soup)
    assert SIGNATORY_DOWN not in notices(soup)
    assert case_refs(soup) == demo_refs(EVA, ALL_AGENCIES)
    # The signatory source answered: the company she signs for is still offered, no grantor is.
    names = {o.split(" – ")[0] for o in switcher_options(soup)}
    assert names == {"Eva Nyström", "Nyström Redovisning AB"}


def test_registry_down_a_signatory_still_acts_for_the_company(private_world, make_private_app):
    app = make_private_app(representation_ttl_s=0)
    client = app.test_client()
    login(client, KARIN)
    assert act_as(client, "Bohusläns Ostron AB").status_code == 302
    assert private_world.admin("PUT", "/faults/minaombud", {"fault": "malformed"}).status_code == 200
    soup = _home(client)
    assert party_name(soup) == "Bohusläns Ostron AB"
    assert REGISTRY_DOWN in notices(soup)
    assert case_refs(soup) == demo_refs(OSTRON_AB, ALL_AGENCIES)


def test_signatory_source_down_mandates_still_work(private_world, make_private_app):
    app = make_private_app(representation_ttl_s=0)
    client = app.test_client()
    login(client, EVA)
    assert private_world.admin("PUT", "/faults/foretagsdata", {"fault": "error500"}).status_code == 200
    soup = _home(client)
    assert SIGNATORY_DOWN in notices(soup) and STILL_OWN in notices(soup)
    assert REGISTRY_DOWN not in notices(soup)
    names = {o.split(" – ")[0] for o in switcher_options(soup)}
    assert "Nyström Redovisning AB" not in names
    assert {"Kustbageriet AB", "Fjällbygg AB", "Bohusläns Ostron AB", "Karin Ström"} <= names
    assert act_as(client, "Kustbageriet AB").status_code == 302
    assert case_refs(_home(client)) == demo_refs(KUSTBAGERIET, ["skatteverket"])


def test_a_failed_look_up_is_not_kept(private_world, make_private_app):
    """After the registry comes back, the next page lists the grantors again (a failure is never cached)."""
    app = make_private_app(representation_ttl_s=600)
    client = app.test_client()
    assert private_world.admin("PUT", "/faults/minaombud", {"fault": "error500"}).status_code == 200
    login(client, EVA)
    assert REGISTRY_DOWN in notices(_home(client))
    assert private_world.admin("DELETE", "/faults").status_code == 200
    soup = _home(client)
    assert not notices(soup)
    assert "Kustbageriet AB" in {o.split(" – ")[0] for o in switcher_options(soup)}


def test_a_registry_answer_stored_by_another_instance_counts_at_the_next_request(app, client):
    """Who the user may act for is read from the stored registry answer on every request: when another instance
    stores a newer one (here: without Kustbageriet, whose mandate ended), the next page uses it at once, though this
    process made the parties of the earlier answer already (and keeps them while the answer stays the same)."""
    from portal.store import Store

    login(client, EVA)
    names = lambda soup: {o.split(" – ")[0] for o in switcher_options(soup)}  # noqa: E731
    assert "Kustbageriet AB" in names(_home(client))
    assert "Kustbageriet AB" in names(_home(client))  # the same answer again: the same parties
    store = Store(connect(app.extensions["portal"].config.settings.database))
    try:
        handle = store.db.scalar("select user_handle from representation")
        data = store.cached_representation(handle)[1]
        data["parties"] = [p for p in data["parties"] if p["digits"] != KUSTBAGERIET]
        store.save_representation(handle, data)  # as another instance that asked the registry would
    finally:
        store.close()
    soup = _home(client)
    assert "Kustbageriet AB" not in names(soup)
    assert {"Fjällbygg AB", "Bohusläns Ostron AB", "Karin Ström"} <= names(soup)


def test_olle_sees_an_empty_state(client):
    login(client, OLLE)
    soup = _home(client)
    assert text_of(soup.select_one("main .empty")) == "Det finns inga ärenden att visa."
    assert case_cards(soup) == []
    assert soup.select("#party-select") == []  # nobody to switch to


def test_ali_with_samordningsnummer_sees_his_cases(client):
    login(client, ALI)
    soup = _home(client)
    assert party_name(soup) == "Ali Hassan"
    refs = demo_refs(ALI, ALL_AGENCIES)
    assert refs
    assert case_refs(soup) == refs
    assert case_agencies(soup) == {"Skatteverket", "Försäkringskassan"}


LENA = "198112241123"  # signatory for Fjällbygg AB


def test_cached_events_of_a_wider_basis_never_widen_a_mandate(make_app):
    """Lena (signatory) fills the cache with all of Fjällbygg's events; Eva (VAT and Bolagsverket mandate) still sees
    only what her mandate covers, and her narrower full refresh deletes none of Lena's."""
    app = make_app(fresh_s=0, full_refresh_h=0)
    lena = app.test_client()
    login(lena, LENA)
    assert act_as(lena, "Fjällbygg AB").status_code == 302
    everything = demo_refs(FJALLBYGG, ALL_AGENCIES)
    assert case_refs(_home(lena)) == everything

    eva = app.test_client()
    login(eva, EVA)
    assert act_as(eva, "Fjällbygg AB").status_code == 302
    allowed = demo_refs(FJALLBYGG, ["skatteverket"], "SKV.MOMS") | demo_refs(FJALLBYGG, ["bolagsverket"])
    assert case_refs(_home(eva)) == allowed
    assert allowed < everything

    assert case_refs(_home(lena)) == everything


def test_new_login_forgets_the_previous_users_choice(client):
    login(client, KARIN)
    assert act_as(client, "Bohusläns Ostron AB").status_code == 302
    assert party_name(_home(client)) == "Bohusläns Ostron AB"
    login(client, EVA)  # someone else logs in on the same browser
    soup = _home(client)
    assert party_name(soup) == "Eva Nyström"
    assert text_of(soup.select_one(".site-header__user")) == "Eva Nyström"
    assert not case_refs(soup) & demo_refs(OSTRON_AB, ALL_AGENCIES)


def test_party_handle_from_an_earlier_login_is_stale(client):
    login(client, EVA)
    old_handle = _option_value(_home(client), "Kustbageriet AB")
    login(client, EVA)  # a new log-in: a new session
    soup = _home(client)
    assert _option_value(soup, "Kustbageriet AB") != old_handle
    r = client.post("/act-as", data={"party": old_handle, "csrf_token": _form_token(soup)})
    assert r.status_code == 403
    assert party_name(_home(client)) == "Eva Nyström"


def test_act_for_page_in_the_demo_world_reads_every_opaque_code(client):
    """Skatteverket's and Bolagsverket's codes are UUIDs: their catalogs say what each covers, so none is shown as a
    mandate we cannot interpret; each mandate's title, agency and validity come from fullmakter/{id}."""
    login(client, EVA)
    soup = page(client.get("/agera-for"))
    names = [text_of(n).split(" (")[0] for n in soup.select(".act-for__name")]
    assert names[:2] == ["Eva Nyström", "Nyström Redovisning AB"]
    assert {"Kustbageriet AB", "Fjällbygg AB", "Bohusläns Ostron AB", "Karin Ström"} <= set(names)
    assert not {"Västkust Logistik AB", "Hamnkrogen i Grebbestad AB"} & set(names)  # expired, revoked
    assert not soup.select(".uninterpretable") and not soup.select(".mandate--unavailable")
    fjallbygg = next(li for li in soup.select("li.act-for") if "Fjällbygg AB" in text_of(li.select_one("h2")))
    assert [text_of(r) for r in fjallbygg.select(".mandate__rubrik")] == ["Fullmakt för Skatteverket, moms",
                                                                          "Fullmakt för Bolagsverket"]
    assert [text_of(o) for o in fjallbygg.select(".mandate__object")] == ["Moms (Företräda)",
                                                                         "Alla ärenden hos Bolagsverket (Företräda)"]
    assert all(text_of(v).startswith("giltig ") for v in fjallbygg.select(".mandate__validity"))
