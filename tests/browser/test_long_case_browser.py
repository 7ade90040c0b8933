"""A long case's page (its latest 50 events, the count, the link to all of them) and the page with every event:
valid HTML (Nu Html Checker) and no axe-core violations, in both languages. The demo cases have a few events each,
so the other checks never see these parts; a world of its own gets a case of 60 events."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from browsertools import KARIN, PORTAL_SETTINGS, axe_violations, browser_context, check_html, describe_html_error, login
from mockworld import MockWorld
from portalserver import PortalServer

from portal.standard import clock

LOCALES = ("sv", "en")
EVENTS = 60


def _event(i: int, now: dt.datetime) -> dict:
    """Event ``i`` of Karin's long Skatteverket case: the ball with her, the newest last."""
    return {
        "kundhandelseId": f"skv-browser-long-{i}",
        "part": {"kund": {"identifierare": KARIN, "typ": "Personnummer"},
                 "arende": {"identifierare": "131 777777-26/161", "typ": "Diarienummer"}},
        "rubrik": f"Händelse nummer {i}",
        "beskrivning": "Vi behöver dina kvitton för den här delen av deklarationen.",
        "sprak": "sv",
        "producent": "Skatteverket",
        "tidpunkt": (now - dt.timedelta(minutes=EVENTS - i)).isoformat(),
        "kundhandelseTyp": "SKV.INKOMSTDEKLARATION.FORFRAGAN",
        "producentarendetKraverKundatgard": True,
        "producentarendetKlart": False,
        "version": "6.1",
        "utokadInformation": {},
    }


@pytest.fixture(scope="module")
def long_case_portal(tmp_path_factory):
    world = MockWorld()
    now = clock.now().replace(microsecond=0)
    for i in range(EVENTS):
        r = world.admin("PUT", "/producers/skatteverket/events", _event(i, now))
        assert r.status_code == 200, r.text
    server = PortalServer(world.url, tmp_path_factory.mktemp("portal-long-case"), **PORTAL_SETTINGS)
    try:
        yield server
    finally:
        server.stop()
        world.stop()


def _case_path(page) -> str:
    card = page.locator(".case-card").filter(has_text=f"Händelse nummer {EVENTS - 1}").first
    return urlsplit(card.locator(".case-card__title a").get_attribute("href")).path


@pytest.fixture(scope="module")
def pages(chromium, long_case_portal) -> dict[str, dict[str, tuple[int, str]]]:
    """locale -> {"latest": ..., "all": ...}: (status, HTML as the server sent it), with the browser's cookies."""
    out = {}
    for locale in LOCALES:
        context = browser_context(chromium, locale, javascript=True, width=1200, bypass_csp=False)
        try:
            page = context.new_page()
            login(page, long_case_portal, KARIN)
            path = _case_path(page)
            out[locale] = {}
            for name, query in (("latest", ""), ("all", "?alla=1")):
                response = context.request.get(long_case_portal.url + path + query, max_redirects=0)
                out[locale][name] = (response.status, response.text())
        finally:
            context.close()
    return out


def test_the_pages_show_what_they_are_checked_for(pages):
    for locale in LOCALES:
        latest, every = pages[locale]["latest"], pages[locale]["all"]
        assert latest[0] == every[0] == 200
        assert latest[1].count('class="timeline__item') == 50 and "timeline__count" in latest[1]
        assert "timeline__more" in latest[1] and "alla=1" in latest[1]
        assert every[1].count('class="timeline__item') == EVENTS and "timeline__more" not in every[1]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", ["latest", "all"])
def test_a_long_case_page_is_valid_html(pages, vnu_jar, tmp_path, name, locale):
    entry = check_html(vnu_jar, tmp_path, {locale: {name: pages[locale][name]}})[f"{name}-{locale}"]
    errors = [describe_html_error(m) for m in entry["errors"]]
    assert errors == [], f"Nu Html Checker errors in the long case's {name} page ({locale}):\n" + "\n".join(errors)


@pytest.mark.parametrize("locale", LOCALES)
def test_axe_finds_no_violations_on_a_long_case(long_case_portal, new_page, locale):
    page = new_page(locale=locale, axe=True)
    login(page, long_case_portal, KARIN)
    path = _case_path(page)
    for query in ("", "?alla=1"):
        page.goto(long_case_portal.url + path + query)
        page.wait_for_selector("ol.timeline")
        violations = axe_violations(page)
        assert violations == [], f"axe on the long case{query} ({locale}):\n" + json.dumps(violations, indent=1)
