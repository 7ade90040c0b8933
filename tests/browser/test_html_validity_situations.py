"""The Nu Html Checker (vnu.jar) on the situation, calendar and catalog pages, in both languages, in one java run.

The same approach as ``test_html_validity.py``: the HTML exactly as the real server (gunicorn) sends it, fetched
with the browser's cookies, checked with ``--errors-only``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from browsertools import KARIN, OSTRON, browser_context, check_html, describe_html_error, login, switch_party

LOCALES = ("sv", "en")
PAGES = ("situations", "situations-name-error", "situation", "own-situation-empty", "own-situation",
         "own-situation-not-found", "calendar", "calendar-with-address", "catalog", "catalog-search")
EXPECTED_STATUS = {"situations-name-error": 400, "own-situation-not-found": 404}


def fetch_pages(chromium, portal, locale: str) -> dict[str, tuple[int, str]]:
    """name -> (HTTP status, HTML as the server sent it), with the browser's cookies, acting for the AB."""
    context = browser_context(chromium, locale, javascript=True, width=1200, bypass_csp=False)
    try:
        page = context.new_page()
        request = context.request
        out = {}

        def grab(name: str, path: str) -> None:
            response = request.get(portal.url + path, max_redirects=0)
            out[name] = (response.status, response.text())

        def post(path: str, form: dict):
            token = page.locator('main input[name="csrf_token"]').first.get_attribute("value")
            return request.post(portal.url + path, form={**form, "csrf_token": token}, max_redirects=0)

        login(page, portal, KARIN)
        switch_party(page, OSTRON)
        grab("situations", "/livssituationer")
        grab("situation", "/livssituationer/starta-vattenbruk")
        page.goto(portal.url + "/livssituationer")
        response = post("/egna", {"name": ""})
        out["situations-name-error"] = (response.status, response.text())
        response = post("/egna", {"name": f"Validering {locale}"})
        assert response.status == 302, response.text()[:2000]
        own = urlsplit(response.headers["location"]).path
        grab("own-situation-empty", own)
        page.goto(portal.url + own)
        for _ in range(2):
            handle = page.locator("#add-case option").first.get_attribute("value")
            assert post(own + "/arenden", {"case": handle}).status == 302
            page.goto(portal.url + own)
        grab("own-situation", own)
        grab("own-situation-not-found", "/egna/finns-inte")
        grab("calendar", "/kalender")
        page.goto(portal.url + "/kalender")
        assert post("/kalender", {}).status == 303
        response = request.get(portal.url + "/kalender")
        out["calendar-with-address"] = (response.status, response.text())
        grab("catalog", "/katalog")
        grab("catalog-search", "/katalog?q=vattenbruk")
        return out
    finally:
        context.close()


@pytest.fixture(scope="module")
def vnu_report(chromium, portal, vnu_jar, tmp_path_factory) -> dict[str, dict]:
    """(page-locale) -> {"status": ..., "errors": [...], "file": ...} from one run of the checker over every page."""
    folder = tmp_path_factory.mktemp("html-situations")
    return check_html(vnu_jar, folder, {locale: fetch_pages(chromium, portal, locale) for locale in LOCALES})


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_page_is_valid_html(vnu_report, name, locale):
    entry = vnu_report[f"{name}-{locale}"]
    html = entry["file"].read_text(encoding="utf-8")
    assert entry["status"] == EXPECTED_STATUS.get(name, 200), html[:2000]
    assert f'<html lang="{locale}">' in html
    errors = [describe_html_error(m) for m in entry["errors"]]
    assert errors == [], f"Nu Html Checker errors in {name} ({locale}), saved at {entry['file']}:\n" + "\n".join(errors)


def test_the_pages_hold_what_they_are_checked_for(vnu_report):
    """The checked HTML is the real thing: steps, an own situation with cases, a shown calendar address."""
    for locale in LOCALES:
        def html(name: str, locale: str = locale) -> str:
            return vnu_report[f"{name}-{locale}"]["file"].read_text(encoding="utf-8")

        assert html("situation").count('class="step ') == 15
        assert html("own-situation").count("<li class=\"timeline__item") >= 2
        assert 'id="add-case"' in html("own-situation-empty")
        assert 'id="feed-url"' in html("calendar-with-address")
        assert 'id="situation-name-error"' in html("situations-name-error")
