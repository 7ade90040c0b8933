"""Browser tests: Debian's chromium driven by Playwright against the real portal and mock world on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from mockworld import MockWorld
from portalserver import PortalServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-4.14.1.min.js"
# Without the background-networking flags chromium tries to reach the internet at start (this machine has none).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser_world():
    world = MockWorld()
    yield world
    world.stop()


@pytest.fixture(scope="session")
def portal(browser_world, tmp_path_factory):
    server = PortalServer(browser_world.url, tmp_path_factory.mktemp("portal"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(chromium, locale: str, javascript: bool, width: int, bypass_csp: bool):
    return chromium.new_context(locale="sv-SE" if locale == "sv" else "en-GB", java_script_enabled=javascript,
                                extra_http_headers={"Accept-Language": locale}, bypass_csp=bypass_csp,
                                viewport={"width": width, "height": 900})


@pytest.fixture()
def new_page(chromium):
    """``new_page(locale="sv", javascript=True, width=1200, axe=False)`` -> a page in a fresh browser context.

    ``axe=True`` lets the test inject axe-core: our CSP (rightly) blocks injected scripts otherwise.
    """
    contexts = []

    def factory(locale: str = "sv", javascript: bool = True, width: int = 1200, axe: bool = False):
        context = _context(chromium, locale, javascript, width, bypass_csp=axe)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


def login(page, portal, pnr: str) -> None:
    page.goto(portal.url + "/login")
    page.fill("#personnummer", pnr)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("main h1")


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page; returns the violations."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
