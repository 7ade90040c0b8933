"""The Nu Html Checker (vnu.jar) on the HTML the real server sends, in both languages, checked in one java run."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from browsertools import (
    KARIN,
    OSTRON,
    PORTAL_SETTINGS,
    browser_context,
    case_links,
    check_html,
    describe_html_error,
    login,
    switch_party,
)
from portalserver import PortalServer

LOCALES = ("sv", "en")
PAGES = ("login", "overview", "overview-filtered", "overview-filter-error", "overview-fragment", "case", "not-found",
         "company-overview", "who-has-looked", "agency-down", "everyone", "catalog")
# An htmx swap returns a fragment; to check it, it is put in the smallest valid document.
FRAGMENT_DOC = '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>fragment</title></head>' \
               '<body><main>{body}</main></body></html>'


def fetch_agency_down(chromium, portal, locale: str) -> tuple[int, str]:
    """The company overview from a portal with an empty cache while Länsstyrelsen is down (the warning notices)."""
    context = browser_context(chromium, locale, javascript=True, width=1200, bypass_csp=False)
    try:
        page = context.new_page()
        login(page, portal, KARIN)
        switch_party(page, OSTRON)
        response = context.request.get(portal.url + "/")
        assert "status-list__item--failed" in response.text()
        return response.status, response.text()
    finally:
        context.close()


def fetch_pages(chromium, portal, locale: str) -> dict[str, tuple[int, str]]:
    """name -> (HTTP status, HTML exactly as the server sent it), fetched with the browser's cookies."""
    context = browser_context(chromium, locale, javascript=True, width=1200, bypass_csp=False)
    try:
        page = context.new_page()
        get = context.request.get
        out = {}

        def grab(name: str, path: str, headers: dict | None = None) -> None:
            response = get(portal.url + path, headers=headers or {}, max_redirects=0)
            out[name] = (response.status, response.text())

        grab("login", "/login")
        login(page, portal, KARIN)
        grab("overview", "/")
        grab("overview-filtered", "/?status=customer&q=vattenbruk")
        grab("overview-filter-error", "/?from=2026-12-01&to=2026-01-01")
        response = get(portal.url + "/?status=customer", headers={"HX-Request": "true"})
        out["overview-fragment"] = (response.status, FRAGMENT_DOC.format(lang=locale, body=response.text()))
        grab("case", urlsplit(case_links(page)[0]).path)
        grab("not-found", "/arende/finns-inte")
        grab("who-has-looked", "/vem-har-tittat")
        grab("catalog", "/katalog")
        switch_party(page, OSTRON)
        grab("company-overview", "/")
        grab("everyone", "/alla")
        return out
    finally:
        context.close()


@pytest.fixture(scope="module")
def vnu_report(chromium, portal, browser_world, vnu_jar, tmp_path_factory) -> dict[str, dict]:
    """(page-locale) -> {"status": ..., "errors": [...], "file": ...} from one run of the checker over every page."""
    folder = tmp_path_factory.mktemp("html")
    pages = {locale: fetch_pages(chromium, portal, locale) for locale in LOCALES}
    down = PortalServer(browser_world.url, tmp_path_factory.mktemp("portal-down"), **PORTAL_SETTINGS)
    try:
        assert browser_world.admin("PUT", "/faults/lansstyrelsen", {"fault": "down"}).status_code == 200
        for locale in LOCALES:
            pages[locale]["agency-down"] = fetch_agency_down(chromium, down, locale)
    finally:
        browser_world.admin("DELETE", "/faults")
        down.stop()
    return check_html(vnu_jar, folder, pages)


EXPECTED_STATUS = {"not-found": 404, "overview-filter-error": 400}

@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_page_is_valid_html(vnu_report, name, locale):
    entry = vnu_report[f"{name}-{locale}"]
    html = entry["file"].read_text(encoding="utf-8")
    assert entry["status"] == EXPECTED_STATUS.get(name, 200), html[:2000]
    assert f'<html lang="{locale}">' in html
    errors = [describe_html_error(m) for m in entry["errors"]]
    assert errors == [], f"Nu Html Checker errors in {name} ({locale}), saved at {entry['file']}:\n" + "\n".join(errors)
