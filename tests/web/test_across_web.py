"""For representatives (issue 15, item 9): counts in the party switcher, and "Everyone I represent" fetching news
in the background, a few customers at a time, with and without JavaScript. Against the mock world on real ports."""

from __future__ import annotations

import datetime as dt
import threading
import time

from webtools import EVA, KARIN, act_as, case_cards, login, page, switcher_counts, switcher_options, text_of

from portal import across_refresh
from portal.web import across
from portal.standard import clock

OSTRON = "Bohusläns Ostron AB"


def _home(client, path="/"):
    r = client.get(path)
    assert r.status_code == 200, r.status_code
    return page(r)


def _asked(world) -> int:
    """How many queries the agencies of the mock world have answered so far (its request log)."""
    return world.output().count("/kundhandelseFragaSynkron")


def _your_turn(soup) -> int:
    return len(case_cards(soup, "main section.section--your-turn"))


def _new_event(event_id: str, arende: str) -> dict:
    """A new Skatteverket case for Karin that waits for her."""
    when = clock.now().replace(microsecond=0)
    return {
        "kundhandelseId": event_id,
        "part": {"kund": {"identifierare": KARIN, "typ": "Personnummer"},
                 "arende": {"identifierare": arende, "typ": "Diarienummer"}},
        "rubrik": "Vi behöver fler uppgifter", "beskrivning": "Ett meddelande som testet lade till.", "sprak": "sv",
        "producent": "Skatteverket", "tidpunkt": when.isoformat(), "kundhandelseTyp": "SKV.INKOMSTDEKLARATION.FORFRAGAN",
        "producentarendetKraverKundatgard": True, "producentarendetKlart": False, "version": "6.1",
        "utokadInformation": {"senastDatum": str(clock.today() + dt.timedelta(days=30))},
        "referenser": {"diarienummer": arende},
    }


# --- counts in the switcher -----------------------------------------------------------------------------------


def test_the_switcher_says_what_waits_for_each_party_and_what_is_new(private_world, make_private_app):
    client = make_private_app(fresh_s=0).test_client()
    login(client, KARIN)
    own_turn = _your_turn(_home(client))
    act_as(client, OSTRON)
    company = _home(client)
    company_turn = _your_turn(company)
    assert own_turn and company_turn
    counts = switcher_counts(company)
    assert counts[OSTRON] == f"{company_turn} väntar på dig"
    assert counts["Karin Ström"] == f"{own_turn} väntar på dig"  # nothing new: her first visit is calm
    # The option still names the party and its basis first: the counts come after it.
    assert switcher_options(company) == ["Karin Ström – du själv", f"{OSTRON} – firmatecknare"]

    # A new case for Karin arrives while she looks at her own cases: it waits for her, and it is new.
    r = private_world.admin("PUT", "/producers/skatteverket/events", _new_event("skv-across-1", "131 777777-26/113"))
    assert r.status_code == 200, r.text
    act_as(client, "Karin Ström")
    own = _home(client)
    badges = [text_of(b) for b in own.select("main .new-badge")]
    assert badges == ["1 ny"]
    act_as(client, OSTRON)
    assert switcher_counts(_home(client))["Karin Ström"] == f"{own_turn + 1} väntar på dig, 1 ny"

    # Once she has opened the case, it is no longer new.
    act_as(client, "Karin Ström")
    link = next(c.select_one(".case-card__title a")["href"] for c in case_cards(_home(client)) if c.select_one(".new-badge"))
    assert client.get(link).status_code == 200
    act_as(client, OSTRON)
    assert switcher_counts(_home(client))["Karin Ström"] == f"{own_turn + 1} väntar på dig"

    client.get("/sprak/en")
    assert switcher_counts(_home(client))["Karin Ström"] == f"{own_turn + 1} waiting for you"


def test_a_mandate_counts_only_the_cases_it_lets_her_see(private_world, make_private_app):
    app = make_private_app()
    signatory = app.test_client()
    login(signatory, KARIN)  # Karin signs for the company: every case of it is now in the cache
    act_as(signatory, OSTRON)
    everything = _your_turn(_home(signatory))
    assert everything > 0

    eva = app.test_client()
    login(eva, EVA)
    said = switcher_counts(_home(eva))[OSTRON]
    act_as(eva, OSTRON)
    shown = _your_turn(_home(eva))
    # What her mandate covers, as her own overview of the company shows it: never the signatory's whole list.
    assert shown < everything
    assert said == (f"{shown} väntar på dig" if shown else "")
    # "Whom you can act for" says the same.
    act_for = _home(eva, "/agera-for")
    row = next(li for li in act_for.select("main .act-for") if text_of(li.select_one(".act-for__name")).startswith(OSTRON))
    assert text_of(row.select_one(".act-for__counts")).startswith(f"{shown} väntar på dig" if shown else "Inget väntar")


def test_the_counts_never_ask_the_agencies_about_other_parties(private_world, make_private_app):
    client = make_private_app().test_client()
    login(client, EVA)
    _home(client)  # her own cases: the agencies are asked about her
    asked = _asked(private_world)
    soup = _home(client, "/agera-for")
    _home(client, "/alla")
    assert _asked(private_world) == asked
    # A customer never opened has nothing in the cache to count: the page says so rather than "nothing waits".
    counts = {text_of(li.select_one(".act-for__name")).split(" (")[0]: text_of(li.select_one(".act-for__counts"))
              for li in soup.select("main .act-for")}
    assert counts["Kustbageriet AB"] == "Inte hämtat från alla myndigheter än."
    assert counts["Eva Nyström"] == "Inget väntar på dig, inget nytt (enligt myndigheternas senaste svar)"
    listed = {text_of(li.select_one("strong")): text_of(li) for li in _home(client, "/alla").select(".across-parties > li")}
    assert "Kustbageriet AB (fullmakt): inte känt än." in listed["Kustbageriet AB"]


# --- "Everyone I represent": fetching news in the background -----------------------------------------------------


def _parties(soup) -> dict[str, str]:
    return {text_of(li.select_one("strong")): text_of(li) for li in soup.select(".across-parties > li")}


def test_fetch_news_without_javascript_asks_for_the_stalest_few_in_the_background(private_world, make_private_app,
                                                                                  monkeypatch):
    monkeypatch.setattr(across_refresh, "BATCH", 2)
    # The fetch waits for this before asking each customer's agencies, so the test sees it running.
    go = threading.Event()
    real_refresh = across.refresh
    monkeypatch.setattr(across, "refresh", lambda *a, **k: go.wait(60) and real_refresh(*a, **k))
    client = make_private_app().test_client()
    login(client, EVA)
    _home(client)
    before = _parties(_home(client, "/alla"))
    never = sorted(name for name, text in before.items() if "Inte hämtat" in text)
    assert len(never) >= 3 and "Eva Nyström" not in never  # her own were fetched by her overview
    assert "Myndigheterna svarade senast" in before["Eva Nyström"]

    try:
        soup = _home(client, "/alla")
        form = soup.select_one("main form.across-fetch")
        assert form["method"] == "post" and form["action"] == "/alla/hamta"
        r = client.post("/alla/hamta", data={"csrf_token": form.select_one("input[name=csrf_token]")["value"]})
        assert r.status_code == 303 and r.headers["Location"].endswith("/alla")
        during = page(client.get(r.headers["Location"]))  # the list comes at once: it does not wait for the fetch
        assert "Vi hämtar nytt från myndigheterna för 2 av dem" in text_of(during.select_one("main"))
        fetching = [name for name, text in _parties(during).items() if "Hämtar nytt just nu" in text]
        assert fetching == never[:2]  # never asked first, at most BATCH of them
        # With JavaScript the page polls for the list while the fetch runs; a second press starts nothing more.
        assert during.select_one("#across-content .poll[data-hx-get='/alla']") is not None
        again = page(client.post("/alla/hamta", data={"csrf_token": form.select_one("input[name=csrf_token]")["value"]},
                                 follow_redirects=True))
        assert "Vi hämtar fortfarande nytt" in text_of(again.select_one("main"))
    finally:
        go.set()
        deadline = time.monotonic() + 60  # a bound on waiting, not a speed
        while across_refresh.running_any() and time.monotonic() < deadline:
            time.sleep(0.2)
    fragment = page(client.get("/alla", headers={"HX-Request": "true"}))
    assert fragment.select_one("html") is None and fragment.select_one("#across-content") is not None
    assert fragment.select_one(".poll") is None  # done: the polling stops
    after = _parties(fragment)
    for name in never[:2]:
        assert "Myndigheterna svarade senast" in after[name], after[name]
    for name in never[2:]:
        assert "Inte hämtat" in after[name]  # the next press takes them


def test_fetch_news_needs_the_form_token(client):
    login(client, EVA)
    assert client.post("/alla/hamta").status_code == 400
    assert client.post("/alla/hamta", data={"csrf_token": "forged"}).status_code == 400


def test_polling_the_list_is_one_look_in_the_log(client):
    login(client, KARIN)
    _home(client)
    act_as(client, OSTRON)
    _home(client)
    client.get("/alla")
    client.get("/alla", headers={"HX-Request": "true"})
    client.get("/alla", headers={"HX-Request": "true"})
    rows = [text_of(tr.select("td")[3]) for tr in page(client.get("/vem-har-tittat")).select("main tbody tr")]
    assert rows.count("Listade dina ärenden bland alla hen företräder") == 1
