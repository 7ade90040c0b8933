"""When agencies fail or misbehave: the page still answers, says what is missing, and shows no foreign or
hostile content. Each test has its own mock world (faults never leak into the shared demo world)."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest

from portal.config import DEMO_CONFIG, load
from portal.standard import clock
from webtools import (card_label, KARIN, case_cards, case_refs, demo_cases, demo_events, demo_refs, login, notices, page,
                      set_fault, status_items, text_of, timeline_titles)

ALL_AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                "livsmedelsverket", "lantmateriet")


def _home(client):
    r = client.get("/")
    assert r.status_code == 200
    return page(r)


def _all_pages(client):
    """The overview and every case page on it, parsed."""
    home = _home(client)
    pages = [home]
    for a in home.select("main .case-card__title a"):
        r = client.get(a["href"])
        assert r.status_code == 200
        pages.append(page(r))
    return pages


def test_producer_down_on_first_load(private_world, make_private_app):
    set_fault(private_world, "jordbruksverket", fault="down")
    client = make_private_app().test_client()
    login(client, KARIN)
    soup = _home(client)
    assert "Jordbruksverket svarade inte; deras ärenden saknas nedan." in notices(soup)
    status = status_items(soup)
    assert "svarade inte, och vi har inget sparat därifrån än." in status["jordbruksverket"]
    assert "status-list__item--failed" in soup.select_one('[data-producer="jordbruksverket"]')["class"]
    assert all("svarade," in status[s] for s in ALL_AGENCIES if s != "jordbruksverket")
    # Skatteverket's cases are there; Jordbruksverket's are missing.
    assert case_refs(soup) == demo_refs(KARIN, ["skatteverket"])
    assert {text_of(c.select_one(".case-card__facts dd")) for c in case_cards(soup)} == {"Skatteverket"}


def test_cached_cases_stay_when_producer_starts_failing(private_world, make_private_app):
    client = make_private_app(fresh_s=0).test_client()
    login(client, KARIN)
    first = _home(client)
    assert case_refs(first) == demo_refs(KARIN, ALL_AGENCIES)
    assert not notices(first)
    answered_at = text_of(first.select_one('[data-producer="skatteverket"] time'))
    assert answered_at

    set_fault(private_world, "skatteverket", fault="error500")
    soup = _home(client)
    assert case_refs(soup) == demo_refs(KARIN, ALL_AGENCIES)  # nothing lost
    assert f"Skatteverket svarade inte; vi visar det vi hade {answered_at}." in notices(soup)
    line = status_items(soup)["skatteverket"]
    assert f"svarade inte; vi visar det vi hade {answered_at}." in line
    assert "Har inte svarat sedan" in line
    # The case page says the same about its agency.
    href = next(a["href"] for c in case_cards(soup) if text_of(c.select(".case-card__facts dd")[0]) == "Skatteverket"
                for a in c.select(".case-card__title a"))
    case = page(client.get(href))
    assert "Skatteverket svarade inte; det här är kanske inte det senaste." in notices(case)

    # Once it answers again, the notice goes.
    private_world.admin("DELETE", "/faults")
    soup = _home(client)
    assert not notices(soup)
    assert "status-list__item--failed" not in soup.select_one('[data-producer="skatteverket"]')["class"]


def test_slow_producer_does_not_hold_the_page(private_world, make_private_app):
    # Skatteverket's answer is held for 10 s, far past the portal's own 2 s timeout for it.
    set_fault(private_world, "skatteverket", held=True, timeout_s=10)
    client = make_private_app(total_deadline_s=1.0, page_deadline_s=0.5).test_client()
    login(client, KARIN)
    soup = _home(client)
    # The page came while Skatteverket was still being waited for: the page deadline, not the agency, decided.
    # (On a busy machine other agencies may still be pending too: the notice names them all.)
    waiting = [n for n in notices(soup) if n.startswith("Väntar fortfarande på")]
    assert waiting and "Skatteverket" in waiting[0].split(".")[0], notices(soup)
    # The late answer (here: a timeout after the producer's own 2 s) is recorded when it comes.
    deadline = time.monotonic() + 20  # a bound on waiting, not a speed: it normally comes after ~2 s
    while time.monotonic() < deadline:
        time.sleep(0.5)
        soup = _home(client)
        if "Skatteverket svarade inte; deras ärenden saknas nedan." in notices(soup):
            break
    assert "Skatteverket svarade inte; deras ärenden saknas nedan." in notices(soup)
    assert case_refs(soup) == demo_refs(KARIN, ["jordbruksverket"])


def test_invalid_events_are_dropped_and_counted(private_world, make_private_app):
    set_fault(private_world, "skatteverket", fault="invalid_events")
    client = make_private_app().test_client()
    login(client, KARIN)
    soup = _home(client)
    assert case_refs(soup) == demo_refs(KARIN, ALL_AGENCIES)
    line = status_items(soup)["skatteverket"]
    assert "5 meddelanden från myndigheten kunde inte läsas och visas inte." in line
    assert "kunde inte läsas" not in status_items(soup)["jordbruksverket"]
    # No broken event slipped into a case: every timeline has exactly the data's events.
    cases = {ref: events for (_, ref), events in demo_cases(KARIN, ALL_AGENCIES).items()}
    for card in case_cards(soup):
        case = page(client.get(card.select_one(".case-card__title a")["href"]))
        assert timeline_titles(case) == [e["rubrik"] for e in cases[card_label(card)]]


def test_foreign_events_never_shown(private_world, make_private_app):
    for slug in ALL_AGENCIES:
        set_fault(private_world, slug, fault="foreign_events")
    client = make_private_app().test_client()
    login(client, KARIN)
    pages = _all_pages(client)
    assert case_refs(pages[0]) == demo_refs(KARIN, ALL_AGENCIES)
    for soup in pages:
        assert "Händelse om en annan kund" not in soup.get_text()
        assert "X-1" not in {text_of(dd) for dd in soup.select("dd")}


def test_duplicate_events_are_shown_once(private_world, make_private_app):
    set_fault(private_world, "skatteverket", fault="duplicates")
    client = make_private_app().test_client()
    login(client, KARIN)
    soup = _home(client)
    refs = [card_label(c) for c in case_cards(soup)]
    assert len(refs) == len(set(refs)) and set(refs) == demo_refs(KARIN, ALL_AGENCIES)
    for soup in _all_pages(client)[1:]:
        titles = timeline_titles(soup)
        times = [t["datetime"] for t in soup.select(".timeline time")]
        assert len(set(zip(titles, times))) == len(titles)


def test_malformed_answer_is_a_failure_not_a_crash(private_world, make_private_app):
    set_fault(private_world, "skatteverket", fault="malformed")
    client = make_private_app().test_client()
    login(client, KARIN)
    soup = _home(client)
    assert "Skatteverket svarade inte; deras ärenden saknas nedan." in notices(soup)
    assert case_refs(soup) == demo_refs(KARIN, ["jordbruksverket"])


@pytest.mark.parametrize("who, slugs", [
    (KARIN, ["skatteverket", "jordbruksverket"]),
])
def test_hostile_producer_text_is_inert(private_world, make_private_app, who, slugs):
    for slug in slugs:
        set_fault(private_world, slug, fault="hostile")
    client = make_private_app().test_client()
    login(client, who)
    pages = _all_pages(client)
    assert len(pages) > 3
    shown_script = 0
    for soup in pages:
        for script in soup.select("script"):
            # Only the portal's own files may load; no inline script at all.
            assert script.get("src", "").startswith("/static/"), script
            assert not script.get_text(strip=True)
        for tag in soup.find_all(True):
            for attr in tag.attrs:
                assert not attr.lower().startswith("on"), (tag.name, attr)
        assert soup.select("iframe, svg, img, object, embed") == []
        for tag in soup.select("[href], [src], [action]"):
            for attr in ("href", "src", "action"):
                value = (tag.get(attr) or "").strip().lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), value
        # The markup is shown as text, so the user sees what the agency sent.
        shown_script += sum('<script>alert("xss")</script>' in text_of(t)
                            for t in soup.select(".case-card__title a, .timeline__title"))
    assert shown_script > 0
    # The hostile link (javascript:) is dropped: no "open at the agency" link at all.
    for soup in pages[1:]:
        assert soup.select(".timeline a") == []


def test_an_agency_sending_more_than_the_storage_cap_is_cut_off_with_a_notice(private_world, make_private_app):
    client = make_private_app(max_events_per_producer=1).test_client()
    login(client, KARIN)
    soup = _home(client)
    names = {p.slug: p.name for p in load(DEMO_CONFIG, {}, testing=True).producers}
    crowded = {slug for slug in ALL_AGENCIES if len(demo_events(slug, KARIN)) > 1}
    assert crowded
    capped = {n.split(" har fler händelser för dig än portalen sparar; ")[0] for n in notices(soup)
              if " har fler händelser för dig än portalen sparar; " in n}
    assert capped == {names[slug] for slug in crowded}
    # One case per agency at most: each kept only its newest event.
    assert len(case_cards(soup)) <= len(ALL_AGENCIES)


def test_direction_overrides_and_controls_from_an_agency_never_reach_the_page_or_the_calendar(private_world,
                                                                                               make_private_app):
    when = clock.now().replace(microsecond=0)
    event = {
        "kundhandelseId": "skv-bidi-1",
        "part": {"kund": {"identifierare": KARIN, "typ": "Personnummer"},
                 "arende": {"identifierare": "131\u202e 777-26", "typ": "Diarienummer"}},
        "rubrik": "Betala fakturan \u202efdp.exe\x00", "beskrivning": "Se bilagan\u2066\x07.", "sprak": "sv",
        "producent": "Skatteverket", "tidpunkt": when.isoformat(), "kundhandelseTyp": "SKV.INKOMSTDEKLARATION.FORFRAGAN",
        "producentarendetKraverKundatgard": True, "producentarendetKlart": False, "version": "6.1",
        "utokadInformation": {"senastDatum": (when.date() + dt.timedelta(days=20)).isoformat()},
        "referenser": {"lank": "http://user:pass@evil.example@skatteverket.example/"},
    }
    r = private_world.admin("PUT", "/producers/skatteverket/events", event)
    assert r.status_code == 200, r.text
    client = make_private_app().test_client()
    login(client, KARIN)
    home = client.get("/")
    href = next(c.select_one(".case-card__title a")["href"] for c in page(home).select("main .case-card")
                if "Betala fakturan" in c.get_text())  # its latest event, under the case type's name
    case = client.get(href)
    token = page(client.get("/kalender")).select_one('main input[name="csrf_token"]')["value"]
    made = page(client.post("/kalender", data={"csrf_token": token}, follow_redirects=True))
    feed = client.application.test_client().get(urlsplit(made.select_one("#feed-url")["value"]).path)
    for body in (home.get_data(as_text=True), case.get_data(as_text=True), feed.get_data(as_text=True)):
        assert "fdp.exe" in body
        assert not any(ch in body for ch in "\u202e\u2066\x00\x07")
    assert "Betala fakturan fdp.exe" in text_of(page(case).select_one("main"))
    assert not [a for a in page(case).select("main a[href]") if "evil.example" in a["href"]]
