"""Phone: no page scrolls sideways at 320 px (WCAG 1.4.10 reflow), and the overview's first screen shows a case."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browsertools import EVA, KARIN, OSTRON, login, switch_party

NO_SIDEWAYS_SCROLL = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


def _assert_reflows(page, what: str) -> None:
    scroll_width, client_width = page.evaluate(NO_SIDEWAYS_SCROLL)
    assert scroll_width <= client_width, f"{what} scrolls sideways at 320 px: {scroll_width} > {client_width}"


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_no_page_scrolls_sideways_at_320_px(portal, new_page, locale):
    page = new_page(locale=locale, width=320)
    page.goto(portal.url + "/login")
    _assert_reflows(page, "/login")
    login(page, portal, KARIN)
    switch_party(page, OSTRON)
    case = page.locator(".case-card__title a").first.get_attribute("href")
    for path in ["/", "/?from=2026-13-01", case, "/livssituationer", "/livssituationer/starta-vattenbruk",
                 "/kalender", "/katalog", "/vem-har-tittat", "/alla"]:
        response = page.goto(portal.url + path)
        assert response.status in (200, 400), path
        _assert_reflows(page, path)
    # The catalog with every developer detail open is the widest page there is.
    page.goto(portal.url + "/katalog")
    page.eval_on_selector_all("details", "els => els.forEach(d => d.open = true)")
    _assert_reflows(page, "/katalog with its developer details open")


def test_on_a_phone_your_turn_is_on_the_first_screen_and_the_filters_are_folded(portal, new_page):
    page = new_page(width=390)
    login(page, portal, KARIN)
    switch_party(page, OSTRON)
    expect(page.locator("#filter-status")).to_be_hidden()
    heading = page.locator("#your-turn-heading").bounding_box()
    first_card = page.locator(".section--your-turn .case-card").first.bounding_box()
    viewport = page.viewport_size["height"]
    assert heading["y"] < viewport and first_card["y"] < viewport, (heading, first_card, viewport)
    # One control unfolds them (a <details>: no JavaScript needed).
    page.locator(".filters-fold__toggle").click()
    expect(page.locator("#filter-status")).to_be_visible()


def test_on_a_wide_screen_the_filters_are_open(portal, new_page):
    page = new_page(width=1200)
    login(page, portal, EVA)
    expect(page.locator("#filter-status")).to_be_visible()
    expect(page.locator(".filters-fold__toggle")).to_be_hidden()
