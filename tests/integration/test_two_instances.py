"""Two portal instances (gunicorn, each on its own port) on one PostgreSQL database and one mock world.

As behind a load balancer: a user's requests may land on either instance, so a session, the log-in rate limit,
the "already asking this agency for this party" guard and a revoked mandate must all hold across them. Always
PostgreSQL (the shared server is the point), whatever ``PORTAL_TEST_BACKEND`` says. The instances trust one
proxy hop, so each test's visitor has a client address of its own (``X-Forwarded-For``) and one test's log-in
attempts do not count against another's.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading

import pytest

import pgcluster
from portalvisit import (PENDING, Visitor, asked, case_titles, kill, party_name, pending, start_portals, text_of,
                         until)

from mock_producers.dates import REFERENCE_KEY

pytestmark = pytest.mark.integration

KARIN = "198504124564"  # herself, and signatory for Bohusläns Ostron AB
SARA = "199206202344"
EVA = "196601013458"  # accountant: mandates from several companies, Kustbageriet AB among them
OLLE = "199511115678"
AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
            "livsmedelsverket", "lantmateriet")
LIMIT = 5
SETTINGS = {
    "login_rate_limit": f"{LIMIT} per minute",
    "proxy_hops": 1,  # as behind the load balancer: the client is the address it reports
    "representation_ttl_s": 1.0,
    # No fetch of a test's held agency may run out while the test holds it (a failure is asked again at once).
    "total_deadline_s": 20.0,
}


@pytest.fixture(scope="module")
def shared_database():
    # Empty: both instances start at the same moment, and the migrations must be applied once, under the lock.
    url = pgcluster.fresh_database("two_instances")
    yield url
    pgcluster.drop_database(url)


@pytest.fixture(scope="module")
def pair(demo_world, shared_database, tmp_path_factory):
    a, b = start_portals(shared_database, demo_world.url,
                         [tmp_path_factory.mktemp("instance-a"), tmp_path_factory.mktemp("instance-b")], **SETTINGS)
    yield a, b
    for server in (a, b):
        server.stop()


@pytest.fixture()
def world(demo_world):
    """The demo world, its knobs and registry as shipped again after the test."""
    registry = demo_registry()
    yield demo_world
    demo_world.admin("DELETE", "/faults")
    assert demo_world.admin("PUT", "/registry", registry).status_code == 200


def demo_registry() -> dict:
    from mockworld import ROOT

    return json.loads((ROOT / "mock_producers" / "data" / "minaombud.json").read_text(encoding="utf-8"))


def hold(world, *slugs: str, held: bool = True) -> None:
    for slug in slugs:
        r = world.admin("PUT", f"/faults/{slug}", {"held": held, "timeout_s": 120})
        assert r.status_code == 200, r.text


# --- a: one session, either instance ----------------------------------------------------------------------------


def test_a_session_made_on_one_instance_works_on_the_other(pair):
    a, b = pair
    karin = Visitor("203.0.113.10")
    assert karin.login(a.url, KARIN).status_code == 302

    on_b = karin.settled(b.url)
    assert party_name(on_b) == "Karin Ström"
    cases = case_titles(on_b)
    assert any("Jordbruksverket" in c for c in cases), cases  # her own cases, fetched through B
    on_a = karin.settled(a.url)
    assert party_name(on_a) == "Karin Ström" and case_titles(on_a) == cases

    # Logging out on B ends the session on A too: it lives in the shared database, not in either instance.
    token = on_b.select_one('form[action="/logout"] input[name="csrf_token"]')["value"]
    assert karin.post(b.url + "/logout", {"csrf_token": token}).status_code == 302
    stale = karin.copy()
    for portal in (a.url, b.url):
        r = stale.get(portal + "/")
        assert r.status_code == 302 and "/login" in r.headers["Location"], (portal, r.status_code)


# --- b: one log-in rate limit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [0, 1], ids=["A-first", "B-first"])
def test_b_the_login_rate_limit_trips_at_the_same_total_on_either_instance(pair, first):
    instances = [pair[first], pair[1 - first]]
    client = Visitor(f"203.0.113.{20 + first}")
    token = client.csrf(instances[0].url + "/login")
    outcomes = []
    for attempt in range(LIMIT + 2):
        portal = instances[attempt % 2].url
        r = client.post(portal + "/login", {"personnummer": "19900101-1230", "csrf_token": token})
        outcomes.append(r.status_code)
    # A wrong number is refused (400) until the limit; then 429 on whichever instance comes next.
    assert outcomes == [400] * LIMIT + [429, 429], outcomes
    assert "För många försök" in r.text
    # Counted per client address: someone else still logs in, on either instance.
    other = Visitor(f"203.0.113.{22 + first}")
    for server in instances:
        assert other.login(server.url, OLLE).status_code == 302


# --- c: one fetch per party and agency ----------------------------------------------------------------------------


def test_c_one_partys_overview_loaded_on_both_at_once_asks_each_agency_once(pair, world):
    a, b = pair
    warm = Visitor("203.0.113.29")  # the agencies' catalogs cached first: they would be held too
    assert warm.login(a.url, OLLE).status_code == 302
    warm.settled(a.url)

    sara = Visitor("203.0.113.30")
    assert sara.login(a.url, SARA).status_code == 302
    sara_on_b = sara.copy()  # the same session, in a request of its own
    hold(world, *AGENCIES)
    before = {slug: asked(world, slug) for slug in AGENCIES}
    pages = {}

    def load(name, visitor, portal):
        pages[name] = visitor.overview(portal)

    loads = [threading.Thread(target=load, args=("a", sara, a.url)),
             threading.Thread(target=load, args=("b", sara_on_b, b.url))]
    for t in loads:
        t.start()
    for t in loads:
        t.join(timeout=60)
    assert set(pages) == {"a", "b"}
    # Both pages are served while every agency is held; each waits for the agencies, whoever asked them.
    for page in pages.values():
        assert pending(page) == set(AGENCIES), text_of(page.select_one("main"))
    until(lambda: all(asked(world, s) > before[s] for s in AGENCIES), "every agency asked")
    # Both pages have been served, so both instances have sent whatever they were going to send; the mock logs a
    # query on receipt, before it holds it. Counted now, while the answers are held: a held answer that outlives
    # an agency's own deadline on a busy machine is a failure, and the next page rightly asks again.
    assert {s: asked(world, s) - before[s] for s in AGENCIES} == dict.fromkeys(AGENCIES, 1)
    hold(world, *AGENCIES, held=False)

    on_a, on_b = sara.settled(a.url), sara_on_b.settled(b.url)
    assert case_titles(on_a) == case_titles(on_b)
    assert any("Försäkringskassan" in c for c in case_titles(on_a)), case_titles(on_a)


# --- d: an instance dies mid-load --------------------------------------------------------------------------------


def test_d_killing_an_instance_mid_load_loses_nothing_and_the_other_keeps_serving(pair, world, shared_database,
                                                                                   tmp_path):
    b = pair[1]
    [doomed] = start_portals(shared_database, world.url, [tmp_path], **SETTINGS)
    try:
        karin = Visitor("203.0.113.40")
        assert karin.login(doomed.url, KARIN).status_code == 302
        own_cases = case_titles(karin.settled(doomed.url))
        assert own_cases

        # The company's first load: Länsstyrelsen is held; the other agencies answer and are stored.
        hold(world, "lansstyrelsen")
        before = asked(world, "lansstyrelsen")
        karin.act_as(doomed.url, "Bohusläns Ostron AB")
        assert pending(karin.overview(doomed.url))  # served at once: Länsstyrelsen's answer will come later
        until(lambda: asked(world, "lansstyrelsen") > before, "Länsstyrelsen asked by the doomed instance")
        page = until(lambda: (p := karin.overview(doomed.url)) and pending(p) == {"lansstyrelsen"} and p,
                     "every agency but the held one answered and stored")
        company_cases = case_titles(page)
        assert company_cases and not any("Länsstyrelsen" in c for c in company_cases)

        kill(doomed)
        hold(world, "lansstyrelsen", held=False)  # its answer now goes to a closed connection

        # B serves the same session: the company's cases stored before the kill, Länsstyrelsen still awaited
        # (the dead instance's lease on it has not run out), and nothing stored is lost.
        page = karin.overview(b.url)
        assert party_name(page) == "Bohusläns Ostron AB"
        assert case_titles(page) == company_cases
        assert pending(page) == {"lansstyrelsen"} and page.select_one(PENDING) is not None

        # The lease runs out total_deadline_s + 60 s after it was taken; rather than wait, the test ends it now.
        with pgcluster.connect(shared_database) as conn:
            gone = conn.execute("update fetch_leases set expires_at = 0 where producer = 'lansstyrelsen'").rowcount
        assert gone == 1  # the dead instance's lease, and only that one, was still held
        page = karin.settled(b.url)
        recovered = case_titles(page)
        assert set(company_cases) < set(recovered)
        assert any("Länsstyrelsen" in c for c in recovered), recovered  # asked again, by B, once
        assert asked(world, "lansstyrelsen") == before + 2

        karin.act_as(b.url, "Karin Ström")
        assert case_titles(karin.settled(b.url)) == own_cases
    finally:
        doomed.stop()


# --- e: a revoked mandate, on both ------------------------------------------------------------------------------


def test_e_a_mandate_revoked_in_the_registry_stops_access_on_both_instances(pair, world):
    a, b = pair
    eva = Visitor("203.0.113.50")
    assert eva.login(a.url, EVA).status_code == 302
    eva.act_as(a.url, "Kustbageriet AB")
    page_a = eva.settled(a.url)
    assert party_name(page_a) == "Kustbageriet AB" and case_titles(page_a)
    case_href = page_a.select_one("main .case-card__title a")["href"]
    eva_on_b = eva.copy()  # from now on a browser of its own: what A does to its cookie does not reach it
    assert party_name(eva_on_b.settled(b.url)) == "Kustbageriet AB"
    assert eva_on_b.get(b.url + case_href).status_code == 200

    registry = copy.deepcopy(demo_registry())
    [mandate] = [f for f in registry["fullmakter"]
                 if f["fullmaktsgivare"]["id"] == "5590002340" and f["fullmaktshavare"][0]["id"] == EVA]
    # Revoked yesterday, as the world serves it: its dates are moved by (today - referensdatum).
    mandate["aterkallad"] = (dt.date.fromisoformat(registry[REFERENCE_KEY]) - dt.timedelta(days=1)).isoformat()
    assert world.admin("PUT", "/registry", registry).status_code == 200

    # Within representation_ttl_s each instance asks the registry again; polled, with a generous limit.
    for visitor, portal in ((eva, a.url), (eva_on_b, b.url)):
        page = until(lambda v=visitor, p=portal: (s := v.overview(p)) and party_name(s) == "Eva Nyström" and s,
                     f"the revoked mandate refused at {portal}")
        assert "Du kan inte längre företräda den du hade valt." in text_of(page)
        assert not any(text_of(o).startswith("Kustbageriet AB") for o in page.select("#party-select option"))
        assert visitor.get(portal + case_href).status_code == 404
