"""axe-core on every page in both languages, no sideways scrolling at 320 px, and no UI text in the wrong language."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from browsertools import KARIN, OSTRON, axe_violations, case_links, login, switch_party, visible_text_outside_lang

LOCALES = pytest.mark.parametrize("locale", ["sv", "en"])


def open_login(page, portal):
    page.goto(portal.url + "/login")


def open_overview(page, portal):
    login(page, portal, KARIN)


def open_overview_filtered(page, portal):
    login(page, portal, KARIN)
    page.goto(portal.url + "/?status=customer&q=vattenbruk")
    expect(page.locator(".case-card")).to_have_count(1)


def open_overview_filtered_by_htmx(page, portal):
    login(page, portal, KARIN)
    page.select_option("#filter-status", "customer")  # htmx swaps the results and the count in place
    expect(page).to_have_url(re.compile(r"status=customer"))
    expect(page.locator(".case-card")).to_have_count(1)


def open_overview_filter_error(page, portal):
    login(page, portal, KARIN)
    page.goto(portal.url + "/?from=2026-12-01&to=2026-01-01")  # 400: the error summary is shown
    expect(page.locator(".error-summary")).to_be_visible()


def open_case(page, portal):
    login(page, portal, KARIN)
    page.goto(case_links(page)[0])  # the your-turn case: deadline, link to the agency
    expect(page.locator("ol.timeline")).to_be_visible()


def open_not_found(page, portal):
    login(page, portal, KARIN)
    response = page.goto(portal.url + "/arende/finns-inte")
    assert response.status == 404


def open_company_overview(page, portal):
    login(page, portal, KARIN)
    switch_party(page, OSTRON)


def open_who_has_looked(page, portal):
    login(page, portal, KARIN)
    response = page.goto(portal.url + "/vem-har-tittat")
    assert response.status == 200


def open_everyone(page, portal):
    login(page, portal, KARIN)
    switch_party(page, OSTRON)  # both parties' answers cached: the list has rows of each
    response = page.goto(portal.url + "/alla")
    assert response.status == 200
    expect(page.locator(".across-list > li").first).to_be_visible()


def open_catalog(page, portal):
    login(page, portal, KARIN)
    response = page.goto(portal.url + "/katalog")
    assert response.status == 200
    page.eval_on_selector_all("details.for-developers", "els => els.forEach(d => d.open = true)")


PAGES = {
    "login": open_login,
    "overview": open_overview,
    "overview-filtered": open_overview_filtered,
    "overview-filtered-by-htmx": open_overview_filtered_by_htmx,
    "overview-filter-error": open_overview_filter_error,
    "case": open_case,
    "not-found": open_not_found,
    "company-overview": open_company_overview,
    "who-has-looked": open_who_has_looked,
    "everyone": open_everyone,
    "catalog": open_catalog,
}


@LOCALES
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violations(portal, new_page, name, locale):
    page = new_page(locale=locale, axe=True)
    PAGES[name](page, portal)
    assert page.get_attribute("html", "lang") == locale
    violations = axe_violations(page)
    assert violations == [], f"axe on {name} ({locale}) at {page.url}:\n" + json.dumps(violations, indent=1,
                                                                                         ensure_ascii=False)


def test_axe_catches_a_planted_violation(portal, new_page):
    """The harness itself: axe runs and reports (an image without alt text is a WCAG A failure)."""
    page = new_page(axe=True)
    open_login(page, portal)
    page.evaluate("document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/x.png'}))")
    assert "image-alt" in [v["id"] for v in axe_violations(page)]


@LOCALES
def test_axe_finds_no_violations_when_an_agency_is_down(fresh_portal, new_page, faults, locale):
    faults("lansstyrelsen", "down")
    page = new_page(locale=locale, axe=True)
    open_company_overview(page, fresh_portal)
    expect(page.locator("main .notice--warning")).to_have_count(1)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)


@pytest.mark.parametrize(("name", "locale"), [
    ("overview", "sv"), ("overview", "en"), ("case", "sv"), ("case", "en"),
    ("company-overview", "sv"), ("company-overview", "en"),
])
def test_fits_a_320_px_screen(portal, new_page, name, locale):
    page = new_page(locale=locale, width=320)
    PAGES[name](page, portal)
    sizes = page.evaluate("() => ({scroll: document.documentElement.scrollWidth,"
                          " client: document.documentElement.clientWidth})")
    if sizes["scroll"] > sizes["client"] + 1:
        wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                 + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                 + ' right=' + Math.round(e.getBoundingClientRect().right)).slice(0, 15)""", sizes["client"])
        pytest.fail(f"{name} ({locale}) scrolls sideways at 320 px: {sizes}; too wide: {wide}")
    # Nothing sticks out of its box either (a card wider than its list is cut off or overlaps the box's border).
    sticking_out = page.evaluate("""() => [...document.querySelectorAll('.case-list > li, .timeline > li, main dl')]
        .filter(e => e.getBoundingClientRect().right > e.parentElement.getBoundingClientRect().right + 1)
        .map(e => e.tagName.toLowerCase() + '.' + String(e.className).split(' ').join('.'))""")
    assert not sticking_out, f"{name} ({locale}) at 320 px: wider than their container: {sticking_out}"


SWEDISH_UI = ["Din tur", "Myndighet", "Företräd", "Logga ut", "Filtrera och sök", "Vem har bollen", "Sista dag",
              "Referens", "Avslutat", "Myndigheten handlägger", "Hoppa till innehållet", "Byt", "Visa", "ärenden",
              "du själv", "Det här har hänt", "Öppna ärendet"]
ENGLISH_UI = ["Your turn", "Agency", "Agencies", "Act for", "Log out", "Filter and search", "Who has the ball",
              "Deadline", "Reference", "Closed", "Skip to content", "Switch", "Show", "cases", "yourself",
              "What has happened", "Open the case"]


def leaked(text: str, words: list[str]) -> list[str]:
    return [w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]


@pytest.mark.parametrize("name", ["overview", "case", "company-overview"])
@pytest.mark.parametrize(("locale", "own", "foreign"), [("en", ENGLISH_UI, SWEDISH_UI), ("sv", SWEDISH_UI, ENGLISH_UI)],
                         ids=["en", "sv"])
def test_ui_text_is_all_in_the_chosen_language(portal, new_page, name, locale, own, foreign):
    """Producer texts are Swedish by design and carry lang="sv"; everything else must be in the user's language."""
    page = new_page(locale=locale)
    PAGES[name](page, portal)
    assert page.get_attribute("html", "lang") == locale
    text = page.title() + " " + visible_text_outside_lang(page, locale)
    assert len(leaked(text, own)) >= 8, f"the page text was not read: {text[:500]}"  # the check sees the UI
    assert not leaked(text, foreign), f"{name} in {locale} shows UI text in the other language: {leaked(text, foreign)}"
