"""The aquaculture founder's journey in a real browser (JavaScript on and off), then axe on the new pages in sv and en.

Karin Ström logs in, acts for Bohusläns Ostron AB, follows the pilot's progress across its agencies, defines a
situation of her own, and subscribes to the deadline calendar.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import requests
from browsertools import KARIN, OSTRON, axe_violations, login, switch_party
from icalendar import Calendar
from playwright.sync_api import expect

JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
LOCALES = pytest.mark.parametrize("locale", ["sv", "en"])


def open_from_nav(page, name: str) -> None:
    page.locator("nav.site-nav").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def timeline_times(page) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(t) for t in
            page.eval_on_selector_all("ol.timeline > li .timeline__meta time", "els => els.map(e => e.dateTime)")]


def add_case(page, label_part: str) -> str:
    """Choose the case whose option mentions ``label_part`` in "Lägg till ett ärende" and add it; returns its title."""
    option = page.locator("#add-case option").filter(has_text=label_part).first
    title = option.inner_text().split(" – ")[0].strip()
    page.select_option("#add-case", option.get_attribute("value"))
    page.get_by_role("button", name="Lägg till", exact=True).click()
    page.wait_for_load_state()
    return title


@JS
def test_the_founder_follows_the_pilot_defines_a_situation_and_subscribes(portal, new_page, javascript):
    page = new_page(javascript=javascript)
    login(page, portal, KARIN)
    switch_party(page, OSTRON)

    # The configured situation: the pilot's progress across all its agencies.
    open_from_nav(page, "Livssituationer")
    expect(page.locator("main h1")).to_have_text("Livssituationer")
    page.get_by_role("link", name="Starta vattenbruk", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Starta vattenbruk")
    expect(page.locator("main li.step")).to_have_count(15)
    expect(page.locator("main .progress-line")).to_have_text(re.compile(r"^\d av 8 steg klara\.$"))
    nxt = page.locator("main li.step--next")
    expect(nxt).to_have_count(1)
    expect(nxt.locator(".step__name").first).to_have_text("Dispens från strandskyddet")
    expect(nxt.locator(".step__next")).to_have_text("Nästa steg")
    expect(nxt.locator(".badge").first).to_contain_text("Din tur")
    # Highlighted: the next step looks different from the other steps waiting for the customer.
    style = "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.backgroundColor]; }"
    other = page.locator("main li.step--your_turn:not(.step--next)").first
    assert nxt.evaluate(style)[0] != "none"
    assert nxt.evaluate(style) != other.evaluate(style)
    agencies = page.locator("main section[aria-labelledby=timeline-heading] > p").inner_text()
    for name in ("Bolagsverket", "Skatteverket", "Länsstyrelsen Västra Götaland", "Tanums kommun", "Jordbruksverket",
                 "Livsmedelsverket"):
        assert name in agencies
    times = timeline_times(page)
    assert len(times) > 20 and times == sorted(times, reverse=True)

    # A situation of her own.
    page.get_by_role("link", name="Alla livssituationer").click()
    page.wait_for_load_state()
    page.get_by_label("Namn på en ny livssituation").fill("Flytta verksamheten")
    page.get_by_role("button", name="Skapa livssituation").click()
    page.wait_for_load_state()
    expect(page.locator("main h1")).to_have_text("Flytta verksamheten")
    own_url = page.url
    assert re.search(r"/egna/[A-Za-z0-9_-]+$", own_url)
    first = add_case(page, "strandskyddsdispens")
    second = add_case(page, "Moms – Skatteverket")
    expect(page.locator("main .member-list > li > a")).to_have_text([first, second])
    items = page.locator("ol.timeline > li")
    expect(items.first).to_be_visible()
    assert items.count() >= 4  # both cases' events
    times = timeline_times(page)
    assert times == sorted(times, reverse=True)
    metas = page.locator("ol.timeline .timeline__meta").all_inner_texts()
    assert metas and all("Länsstyrelsen" in m or "Skatteverket" in m for m in metas)  # only the chosen cases

    page.get_by_label("Nytt namn").fill("Flytta till Göteborg")
    page.get_by_role("button", name="Byt namn").click()
    page.wait_for_load_state()
    expect(page.locator("main h1")).to_have_text("Flytta till Göteborg")
    assert page.url == own_url
    open_from_nav(page, "Livssituationer")
    expect(page.locator("main .situation-list").get_by_role("link", name="Flytta till Göteborg").first).to_be_visible()

    # The deadline calendar.
    open_from_nav(page, "Kalender")
    page.get_by_role("button", name=re.compile(r"^Skapa en (ny )?kalenderadress$")).click()
    page.wait_for_load_state()
    feed_url = page.locator("#feed-url").input_value()
    assert feed_url.startswith(portal.url + "/kalender/") and feed_url.endswith(".ics")
    response = requests.get(feed_url, timeout=10)  # as a calendar app: no cookies
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 3  # the AB's open deadlines: two at Länsstyrelsen, one at Livsmedelsverket
    assert all(isinstance(e.decoded("dtstart"), dt.date) for e in events)
    open_from_nav(page, "Kalender")
    expect(page.locator("#feed-url")).to_have_count(0)  # shown once only
    assert requests.get(feed_url, timeout=10).status_code == 200  # and still working


# --- axe on the new pages, in both languages ----------------------------------------------------


def open_situations(page, portal):
    page.goto(portal.url + "/livssituationer")
    expect(page.locator("main .situation-list").first).to_be_visible()


def open_situation(page, portal):
    page.goto(portal.url + "/livssituationer/starta-vattenbruk")
    expect(page.locator("main li.step--next")).to_have_count(1)


def open_own_situation(page, portal):
    page.goto(portal.url + "/livssituationer")
    page.fill("#situation-name", "Axe")
    page.click("main form.form button[type=submit]")
    page.wait_for_load_state()
    for _ in range(2):
        page.select_option("#add-case", index=0)
        page.click("#add-case ~ button")
        page.wait_for_load_state()
    expect(page.locator("main .member-list > li")).to_have_count(2)
    expect(page.locator("ol.timeline > li").first).to_be_visible()


def open_calendar(page, portal):
    page.goto(portal.url + "/kalender")
    page.click("main form.form button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("#feed-url")).to_be_visible()


def open_catalog(page, portal):
    page.goto(portal.url + "/katalog")
    expect(page.locator("main section").first).to_be_visible()


PAGES = {"situations": open_situations, "situation": open_situation, "own-situation": open_own_situation,
         "calendar": open_calendar, "catalog": open_catalog}


@LOCALES
def test_axe_finds_no_violations_on_the_new_pages(portal, new_page, locale):
    page = new_page(locale=locale, axe=True)
    login(page, portal, KARIN)
    switch_party(page, OSTRON)
    found = {}
    for name, open_page in PAGES.items():
        open_page(page, portal)
        assert page.get_attribute("html", "lang") == locale
        violations = axe_violations(page)
        if violations:
            found[name] = {"url": page.url, "violations": violations}
    assert found == {}, f"axe ({locale}):\n" + json.dumps(found, indent=1, ensure_ascii=False)
