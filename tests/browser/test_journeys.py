"""Whole journeys in Swedish, each with JavaScript on (htmx swaps, boosted party switch) and off (plain forms)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from browsertools import EVA, KARIN, OSTRON, case_links, login, switch_party

JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def mark_document(page, javascript: bool) -> None:
    """With JavaScript, tag the window: if it is still tagged later, htmx swapped content instead of reloading."""
    if javascript:
        page.evaluate("window.__sameDocument = true")


def assert_same_document(page, javascript: bool) -> None:
    if javascript:
        assert page.evaluate("window.__sameDocument === true"), "expected an htmx swap, got a full page load"


def submit_filters(page, javascript: bool) -> None:
    """Without JavaScript the filter form is sent with its "Visa" button; with it, htmx has already swapped."""
    if not javascript:
        page.get_by_role("button", name="Visa", exact=True).click()
        page.wait_for_load_state()


def assert_timeline_newest_first(page, at_least: int = 1) -> None:
    items = page.locator("ol.timeline > li")
    expect(items.first).to_be_visible()
    assert items.count() >= at_least
    times = [dt.datetime.fromisoformat(t) for t in
             page.eval_on_selector_all("ol.timeline > li .timeline__meta time", "els => els.map(e => e.dateTime)")]
    assert len(times) == items.count()
    assert times == sorted(times, reverse=True), f"timeline is not newest first: {times}"


@JS
def test_your_turn_filter_then_case_page(portal, new_page, javascript):
    page = new_page(javascript=javascript)
    login(page, portal, KARIN)
    expect(page.locator("main h1")).to_have_text("Dina ärenden")
    your_turn = page.locator("section.section--your-turn")
    expect(your_turn.locator("h2")).to_contain_text("Din tur")
    total = len(case_links(page))
    expected = your_turn.locator(".case-card").count()
    assert 0 < expected < total

    mark_document(page, javascript)
    page.get_by_label("Vem har bollen").select_option(label="Din tur")
    submit_filters(page, javascript)
    if javascript:
        expect(page).to_have_url(re.compile(r"[?&]status=customer(&|$)"))  # htmx pushed the filtered URL
    else:
        assert re.search(r"[?&]status=customer(&|$)", page.url)
    expect(page.locator("#result-count")).to_have_text(f"{expected} av {total} ärenden matchar.")
    cards = page.locator(".case-card")
    expect(cards).to_have_count(expected)
    for i in range(expected):
        expect(cards.nth(i)).to_have_class(re.compile(r"\bcase-card--customer\b"))
        expect(cards.nth(i).locator(".badge")).to_have_text(re.compile("Din tur"))
    expect(page.get_by_label("Vem har bollen")).to_have_value("customer")
    assert_same_document(page, javascript)

    title = cards.first.locator(".case-card__title a > [lang]").inner_text()  # without what tells twins apart
    cards.first.locator(".case-card__title a").click()
    page.wait_for_load_state()
    assert "/arende/" in page.url
    expect(page.locator("main h1")).to_have_text(title)
    expect(page.get_by_role("heading", name="Det här har hänt")).to_be_visible()
    assert_timeline_newest_first(page)
    link = page.get_by_role("link", name=re.compile(r"^Öppna ärendet hos ")).first
    expect(link).to_be_visible()
    assert link.get_attribute("href").startswith("https://")
    assert "noopener" in link.get_attribute("rel").split()


@JS
def test_accountant_switches_between_parties(portal, new_page, javascript):
    page = new_page(javascript=javascript)
    login(page, portal, EVA)
    expect(page.locator("main h1")).to_have_text("Dina ärenden")
    expect(page.get_by_label("Företräd")).to_be_visible()

    def agencies() -> set[str]:
        return set(page.eval_on_selector_all(".case-card .case-card__facts div:first-child dd",
                                              "els => els.map(e => e.textContent.trim())"))

    mark_document(page, javascript)
    switch_party(page, "Kustbageriet AB")
    expect(page.locator("main h1")).to_have_text("Ärenden för Kustbageriet AB")
    assert_same_document(page, javascript)  # hx-boost: the body was swapped, the window stayed
    assert len(case_links(page)) > 0
    assert agencies() == {"Skatteverket"}

    switch_party(page, "Fjällbygg AB")
    expect(page.locator("main h1")).to_have_text("Ärenden för Fjällbygg AB")
    assert agencies() == {"Skatteverket", "Bolagsverket"}

    switch_party(page, "Eva Nyström")
    expect(page.locator("main h1")).to_have_text("Dina ärenden")
    expect(page.locator(".party-bar__basis")).to_have_text("(du själv)")


@JS
def test_founder_acting_for_her_company_sees_the_aquaculture_situation(portal, new_page, javascript):
    page = new_page(javascript=javascript)
    login(page, portal, KARIN)
    switch_party(page, OSTRON)
    expect(page.locator("main h1")).to_have_text(f"Ärenden för {OSTRON}")
    expect(page.locator(".party-bar__basis")).to_have_text("(firmatecknare)")
    section = page.locator("#case-results section").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Starta vattenbruk")))
    expect(section).to_have_count(1)
    agencies = set(section.locator(".case-card .case-card__facts div:first-child dd").all_inner_texts())
    assert len(agencies) >= 3, agencies
    assert {"Skatteverket", "Bolagsverket"} <= agencies

    # A case with several events: the timeline is newest first.
    page.get_by_role("link", name="Strandskyddsdispens", exact=True).click()  # the case type's name in the catalog
    page.wait_for_load_state()
    expect(page.locator("main h1")).to_have_text("Strandskyddsdispens")
    assert_timeline_newest_first(page, at_least=3)


@JS
def test_an_agency_that_is_down_is_named_and_the_others_still_show(fresh_portal, new_page, faults, javascript):
    faults("lansstyrelsen", "down")
    page = new_page(javascript=javascript)
    login(page, fresh_portal, KARIN)
    switch_party(page, OSTRON)
    notice = page.locator("main .notice--warning").filter(has_text="Länsstyrelsen Västra Götaland")
    expect(notice).to_have_text("Länsstyrelsen Västra Götaland svarade inte; deras ärenden saknas nedan.")
    expect(page.locator('.status-list__item--failed[data-producer="lansstyrelsen"]')).to_be_visible()
    agencies = set(page.locator(".case-card .case-card__facts div:first-child dd").all_inner_texts())
    assert "Länsstyrelsen Västra Götaland" not in agencies
    assert {"Skatteverket", "Bolagsverket", "Tanums kommun"} <= agencies


@JS
def test_search_updates_the_result_count(portal, new_page, javascript):
    page = new_page(javascript=javascript)
    login(page, portal, KARIN)
    total = len(case_links(page))
    expect(page.locator("#result-count")).to_have_text(f"{total} ärenden.")

    mark_document(page, javascript)
    page.get_by_label("Sök i rubriker och beskrivningar").fill("slutskattebesked")  # with JS: swapped after typing
    submit_filters(page, javascript)
    expect(page.locator("#result-count")).to_have_text(re.compile(rf"^\d+ av {total} ärenden matchar\.$"))
    shown = int(page.locator("#result-count").inner_text().split()[0])
    assert 0 < shown < total
    expect(page.locator(".case-card")).to_have_count(shown)
    expect(page.locator(".case-card").filter(has_text="Ditt slutskattebesked för inkomståret 2024 är klart")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]q=slutskattebesked(&|$)"))
    assert_same_document(page, javascript)
