"""The real portal (gunicorn, real ports) against a replay of Mina ombud's published consumer API.

The agencies are the demo mock world; mandates and signatories come from ``replay_registry``:
OAuth2 client credentials, Bearer tokens, ``tredjeman`` required, pages of two, opaque UUID
codes (Skatteverket's and Bolagsverket's from their catalogs, one from the portal's config,
one nobody maps). Then the registry and the signatory source misbehave, one way at a time.
"""

from __future__ import annotations

import json
import threading

import pytest
import replay_registry as rr
import requests
from bs4 import BeautifulSoup
from portalserver import PortalServer
from testconfig import demo_doc
from webtools import EVA, KARIN, case_refs, demo_refs, text_of


pytestmark = pytest.mark.integration

ALL_AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                "livsmedelsverket", "lantmateriet")
FJALLBYGG, KUSTBAGERIET = "165590003454", "165590002340"
REGISTRY_DOWN = "Vi kunde inte kontrollera dina fullmakter i Mina ombud"
SIGNATORY_DOWN = "Vi kunde inte slå upp vilka företag du får teckna firma för"
STILL_OWN = "Du kan fortfarande se dina egna ärenden."
UNINTERPRETABLE = "En fullmakt vi inte kan tolka"
GRANTORS = ["Bohusläns Ostron AB", "Fjällbygg AB", "Hamnkrogen i Grebbestad AB", "Karin Ström", "Kustbageriet AB"]
AGENCY_ORGNR = {p["orgnr"] for p in demo_doc()["producer"]}


@pytest.fixture(scope="module")
def replay():
    r = rr.Replay()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def portal(demo_world, replay, tmp_path_factory):
    def edit(doc: dict) -> None:
        doc["ombud"] |= {"url": replay.url + rr.BASE, "token_url": replay.url + "/oauth2/token",
                         "client_secret_env": "REPLAY_OMBUD_SECRET"}
        doc["signatory"] |= {"url": replay.url + "/foretag", "api_key_env": "REPLAY_SIGNATORY_KEY"}
        # Short enough that a trickling source is given up soon, long enough for a loopback answer on a busy machine.
        doc["ombud"]["deadline_s"] = doc["signatory"]["deadline_s"] = 3.0
        doc["permissions"]["skatteverket"] = {rr.SKV_CONFIGURED: ["SKV.MOMS"]}

    server = PortalServer(demo_world.url, tmp_path_factory.mktemp("replay-portal"), edit=edit,
                          env={"REPLAY_OMBUD_SECRET": rr.CLIENT_SECRET, "REPLAY_SIGNATORY_KEY": rr.SIGNATORY_KEY},
                          representation_ttl_s=0, login_rate_limit="1000 per minute")
    yield server
    server.stop()


@pytest.fixture()
def fresh(replay):
    replay.reset()
    yield replay
    replay.reset()


def soup_of(r) -> BeautifulSoup:
    assert r.status_code == 200, r.status_code
    return BeautifulSoup(r.text, "html.parser")


def logged_in(portal, pnr: str) -> requests.Session:
    http = requests.Session()
    token = soup_of(http.get(portal.url + "/login", timeout=30)).select_one('input[name="csrf_token"]')["value"]
    r = http.post(portal.url + "/login", data={"personnummer": pnr, "csrf_token": token}, allow_redirects=False,
                  timeout=30)
    assert r.status_code == 302, r.text
    return http


def home(http, portal) -> BeautifulSoup:
    return soup_of(http.get(portal.url + "/", timeout=60))


def notices(soup) -> list[str]:
    return [text_of(n) for n in soup.select("main .notice, .party-bar .notice")]


def has(texts: list[str], start: str) -> bool:
    return any(t.startswith(start) for t in texts)


def options(soup) -> list[str]:
    return [text_of(o).split(" – ")[0] for o in soup.select("#party-select option")]


def refs(soup) -> set[str]:
    """How the page names each listed case (its reference, else its title), as ``demo_refs`` does."""
    return case_refs(soup)


def act_for(http, portal, name: str) -> BeautifulSoup:
    """Switch through the act-for page's own button for ``name``; the overview that follows."""
    soup = soup_of(http.get(portal.url + "/agera-for", timeout=60))
    item = next(li for li in soup.select("li.act-for") if text_of(li.select_one(".act-for__name")).startswith(name))
    form = item.select_one("form")
    data = {i["name"]: i["value"] for i in form.select("input")}
    r = http.post(portal.url + form["action"], data=data, allow_redirects=False, timeout=60)
    assert r.status_code == 302, r.text
    return home(http, portal)


# --- a well-behaved registry ---------------------------------------------------------------------------------


def test_act_for_lists_the_grantors_and_what_each_mandate_covers(portal, fresh):
    http = logged_in(portal, EVA)
    soup = soup_of(http.get(portal.url + "/agera-for", timeout=60))
    assert not has(notices(soup), REGISTRY_DOWN) and not has(notices(soup), SIGNATORY_DOWN)
    names = [text_of(n).split(" (")[0] for n in soup.select(".act-for__name")]
    # yourself, the company you sign for (signatory source), then grantors by name (fornamn + namn for a person)
    assert names == ["Eva Nyström", "Nyström Redovisning AB", *GRANTORS]
    fjallbygg = next(li for li in soup.select("li.act-for") if "Fjällbygg AB" in text_of(li.select_one("h2")))
    assert [text_of(h) for h in fjallbygg.select(".act-for__agency h3")] == ["Skatteverket", "Bolagsverket"]
    rubriker = [text_of(r) for r in fjallbygg.select(".mandate__rubrik")]
    assert rubriker == ["Ombud för Fjällbygg AB hos Skatteverket", "Ombud för Fjällbygg AB hos Bolagsverket"]
    assert all("2030" in text_of(v) for v in fjallbygg.select(".mandate__validity"))
    assert not fjallbygg.select(".uninterpretable")
    hamnkrogen = next(li for li in soup.select("li.act-for") if "Hamnkrogen" in text_of(li.select_one("h2")))
    assert text_of(hamnkrogen.select_one(".uninterpretable")).startswith(UNINTERPRETABLE)
    # the details came from fullmakter/{id}, at the agency each mandate is for
    asked = {r["path"] for r in fresh.requests("") if "/fullmakter/" in r["path"]}
    assert f"{rr.BASE}/tredjeman/{rr.BV}/fullmakter/f0000000-0000-4000-8000-000000000003" in asked


def test_one_search_per_connected_agency_every_page_one_token(portal, fresh):
    http = logged_in(portal, EVA)
    home(http, portal)
    home(http, portal)  # representation_ttl_s = 0: asked again, with the same token
    searches = fresh.requests("/sok/behorigheter")
    bodies = [json.loads(r["body"]) for r in searches]
    assert {b["tredjeman"] for b in bodies} == AGENCY_ORGNR
    assert all(b["behorigheter"] == [] and b["fullmaktshavare"] == {"id": EVA, "typ": "pnr"} for b in bodies)
    # five grantors at Skatteverket in pages of two: pages 0, 1 and 2 on each look-up; one page elsewhere
    assert sorted(b["page"]["page"] for b in bodies if b["tredjeman"] == rr.SKV) == [0, 0, 1, 1, 2, 2]
    assert sum(1 for b in bodies if b["tredjeman"] == rr.BV) == 2
    assert len(fresh.requests("/oauth2/token")) <= 1
    assert len({r["auth"] for r in searches}) == 1 and searches[0]["auth"].startswith("Bearer ")


def test_a_token_the_registry_no_longer_knows_is_replaced_once(portal, fresh):
    http = logged_in(portal, EVA)
    home(http, portal)
    fresh.expire_tokens()
    soup = home(http, portal)
    assert not has(notices(soup), REGISTRY_DOWN)
    assert set(GRANTORS) <= set(options(soup))
    assert len(fresh.requests("/oauth2/token")) == 1


def test_switching_shows_the_grantors_cases_within_the_mandate_only(portal, fresh):
    http = logged_in(portal, EVA)
    # VAT at Skatteverket (a code the config maps) and everything at Bolagsverket (a code from its catalog)
    soup = act_for(http, portal, "Fjällbygg AB")
    allowed = demo_refs(FJALLBYGG, ["skatteverket"], "SKV.MOMS") | demo_refs(FJALLBYGG, ["bolagsverket"])
    assert allowed and refs(soup) == allowed
    assert refs(soup) < demo_refs(FJALLBYGG, ALL_AGENCIES)
    # income tax only, for a person grantor
    soup = act_for(http, portal, "Karin Ström")
    assert refs(soup) == demo_refs(KARIN, ["skatteverket"], "SKV.INKOMSTDEKLARATION")
    # a code nobody maps: the grantor can be chosen, shows nothing, and the page says why
    soup = act_for(http, portal, "Hamnkrogen i Grebbestad AB")
    assert refs(soup) == set()
    assert any("behörighet som vi inte kan tolka" in n for n in notices(soup))


# --- a misbehaving registry or signatory source --------------------------------------------------------------


@pytest.mark.parametrize("fault", ["401", "400", "trickle", "malformed", "missing_page"])
def test_a_misbehaving_registry_leaves_the_user_their_own_cases_and_says_so(portal, fresh, fault):
    fresh.registry_fault = fault
    http = logged_in(portal, EVA)
    soup = home(http, portal)
    assert has(notices(soup), REGISTRY_DOWN) and has(notices(soup), STILL_OWN)
    assert not has(notices(soup), SIGNATORY_DOWN)
    assert options(soup) == ["Eva Nyström", "Nyström Redovisning AB"]  # signatories still work
    assert refs(soup) == demo_refs(EVA, ALL_AGENCIES)


@pytest.mark.parametrize("fault", ["401", "400", "trickle", "malformed", "missing_list"])
def test_a_misbehaving_signatory_source_leaves_mandates_alone_and_says_so(portal, fresh, fault):
    fresh.signatory_fault = fault
    http = logged_in(portal, EVA)
    soup = home(http, portal)
    assert has(notices(soup), SIGNATORY_DOWN) and not has(notices(soup), REGISTRY_DOWN)
    assert options(soup) == ["Eva Nyström", *GRANTORS]
    assert refs(act_for(http, portal, "Kustbageriet AB")) == demo_refs(KUSTBAGERIET, ["skatteverket"])


def test_an_unknown_permission_type_is_a_mandate_we_cannot_interpret(portal, fresh):
    fresh.registry_fault = "unknown_typ"
    http = logged_in(portal, EVA)
    soup = soup_of(http.get(portal.url + "/agera-for", timeout=60))
    assert not has(notices(soup), REGISTRY_DOWN)
    kust = next(li for li in soup.select("li.act-for") if "Kustbageriet" in text_of(li.select_one("h2")))
    assert text_of(kust.select_one(".uninterpretable")).startswith(UNINTERPRETABLE)
    assert refs(act_for(http, portal, "Kustbageriet AB")) == set()


def test_a_trickling_registry_does_not_hold_up_other_requests(portal, fresh):
    fresh.registry_fault = "trickle"
    http = logged_in(portal, EVA)
    result = {}
    page = threading.Thread(target=lambda: result.update(soup=home(http, portal)))
    page.start()
    assert requests.get(portal.url + "/healthz", timeout=30).status_code == 200
    assert requests.get(portal.url + "/login", timeout=30).status_code == 200
    page.join(timeout=60)
    assert not page.is_alive()
    assert has(notices(result["soup"]), REGISTRY_DOWN)
