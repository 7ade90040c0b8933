"""The founder's and the new parent's journeys on a 390 px phone, in Swedish and English (issue 15): what is their
turn comes first, a case page leads with what to do, nothing scrolls sideways, and the page is in the page's
language throughout its own texts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browsertools import KARIN, SARA, login

TEXTS = {
    "sv": {"h1": "Dina ärenden", "turn": "Din tur", "todo": "Det här behöver du göra", "history": "Det här har hänt"},
    "en": {"h1": "Your cases", "turn": "Your turn", "todo": "What you need to do", "history": "What has happened"},
}


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("locale", ["sv", "en"])
@pytest.mark.parametrize("who", [KARIN, SARA], ids=["founder", "parent"])
def test_a_journey_on_a_phone_leads_with_what_is_your_turn(portal, new_page, locale, who):
    t = TEXTS[locale]
    page = new_page(locale=locale, width=390)
    login(page, portal, who)
    expect(page.locator("main h1")).to_have_text(t["h1"])
    assert page.get_attribute("html", "lang") == locale
    no_sideways_scroll(page)
    # "Your turn" is the first section, and its first case is on the first screen of a phone.
    first_section = page.locator("main section").first
    expect(first_section.locator("h2")).to_contain_text(t["turn"])
    card = first_section.locator(".case-card").first
    expect(card).to_be_visible()
    assert card.bounding_box()["y"] < page.viewport_size["height"], "the first case of your turn is below the fold"

    # The case page says what to do before what has happened.
    card.locator(".case-card__title a").click()
    page.wait_for_load_state()
    todo = page.get_by_role("heading", name=t["todo"])
    history = page.get_by_role("heading", name=t["history"])
    expect(todo).to_be_visible()
    expect(history).to_be_visible()
    assert todo.bounding_box()["y"] < history.bounding_box()["y"]
    no_sideways_scroll(page)
