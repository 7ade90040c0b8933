"""The accountant on a 390 px phone (issue 15, problem 9): counts in the switcher, one list across her customers,
news fetched for the stalest, and on to a customer's cases; Swedish and English, with JavaScript on and off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browsertools import EVA, login

TEXTS = {
    "sv": {"waiting": r"\d+ väntar på dig", "everyone": "Alla jag företräder", "turn": "Väntar på dig eller dina kunder",
           "fetch": "Hämta nytt", "fetching": "Hämtar nytt", "open": "Öppna ärendena för Kustbageriet AB",
           "h1": "Ärenden för Kustbageriet AB"},
    "en": {"waiting": r"\d+ waiting for you", "everyone": "Everyone I represent",
           "turn": "Waiting for you or your customers", "fetch": "Fetch news", "fetching": "Fetching news",
           "open": "Open the cases of Kustbageriet AB", "h1": "Cases of Kustbageriet AB"},
}


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_the_accountant_sees_what_waits_across_her_customers_on_a_phone(portal, new_page, locale, javascript):
    t = TEXTS[locale]
    page = new_page(locale=locale, javascript=javascript, width=390)
    login(page, portal, EVA)
    no_sideways_scroll(page)
    # The switcher says, per customer, what waits (read from the cache: her overview has just fetched her own).
    options = page.locator("#party-select option").all_inner_texts()
    assert len(options) > 3
    assert all(" – " in o for o in options), options  # name – basis, then the counts when there are any

    page.goto(portal.url + "/alla")
    expect(page.locator("main h1")).to_have_text(t["everyone"])
    expect(page.get_by_role("heading", name=re.compile(t["turn"]))).to_be_visible()
    no_sideways_scroll(page)

    # News for the customers asked longest ago: a plain form; the page comes back at once and says it is fetching.
    page.get_by_role("button", name=t["fetch"]).click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/alla")
    # Until the fetch is done: with JavaScript the list updates itself; without it, the user reloads.
    for _ in range(60):
        if page.locator(".across-fetching").count() == 0:
            break
        if javascript:
            page.wait_for_timeout(1000)
        else:
            page.reload()
    expect(page.locator(".across-fetching")).to_have_count(0)
    rows = page.locator(".across-list > li")
    expect(rows.first).to_be_visible()
    # Every row names the customer; the list is what waits for her customers, so each says "your turn" somewhere.
    assert all(row.strip() for row in page.locator(".across-list__party").all_inner_texts())
    # Each customer's counts in words, now that the stalest have been fetched.
    parties = page.locator(".across-parties > li").all_inner_texts()
    assert any(re.search(t["waiting"], p) for p in parties), parties
    no_sideways_scroll(page)

    page.get_by_role("button", name=t["open"]).click()
    page.wait_for_load_state()
    expect(page.locator("main h1")).to_have_text(t["h1"])
    # The switcher on her customer's page carries the same counts.
    switcher = page.locator("#party-select option").all_inner_texts()
    assert any(re.search(t["waiting"], o) for o in switcher), switcher
    no_sideways_scroll(page)
