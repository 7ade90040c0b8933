"""Screenshots of the main pages, Swedish and English, desktop and mobile, into docs/screenshots/.

Starts the mock world and the portal on free loopback ports, drives Debian's
chromium with Playwright, and writes PNGs. Run with ``make screenshots``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from playwright.sync_api import sync_playwright  # noqa: E402

from browsertools import CHROMIUM, CHROMIUM_ARGS, browser_context, login, switch_party  # noqa: E402
from mockworld import MockWorld  # noqa: E402
from portalserver import PortalServer  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": 1280, "mobile": 390}
KARIN = "198504124564"
EVA = "196601013458"  # the accountant: her customers' turn in one list ("Alla jag företräder")


def shoot(browser, portal, locale: str, size: str) -> None:
    context = browser_context(browser, locale, javascript=True, width=SIZES[size], bypass_csp=False)
    page = context.new_page()
    page.goto(portal.url + "/login")
    page.screenshot(path=str(OUT / f"login-{locale}-{size}.png"), full_page=True)
    login(page, portal, KARIN)
    switch_party(page, "Bohusläns Ostron AB")
    page.screenshot(path=str(OUT / f"overview-{locale}-{size}.png"), full_page=True)
    page.click(".case-card--customer .case-card__title a")
    page.wait_for_selector(".timeline")
    page.screenshot(path=str(OUT / f"case-{locale}-{size}.png"), full_page=True)
    context.close()
    shoot_accountant(browser, portal, locale, size)


def shoot_accountant(browser, portal, locale: str, size: str) -> None:
    """Eva opens each customer once (so the agencies' answers are cached), then the list across them all."""
    context = browser_context(browser, locale, javascript=True, width=SIZES[size], bypass_csp=False)
    page = context.new_page()
    login(page, portal, EVA)
    names = [n.split(" – ")[0].strip() for n in page.locator("#party-select option").all_inner_texts()[1:]]
    for name in names:
        switch_party(page, name)
    page.goto(portal.url + "/alla")
    page.screenshot(path=str(OUT / f"everyone-{locale}-{size}.png"), full_page=True)
    context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    world = MockWorld()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            portal = PortalServer(world.url, Path(tmp), login_rate_limit="1000 per minute")
            try:
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    for locale in ("sv", "en"):
                        for size in SIZES:
                            shoot(browser, portal, locale, size)
                    browser.close()
            finally:
                portal.stop()
    finally:
        world.stop()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
