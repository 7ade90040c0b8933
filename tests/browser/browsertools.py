"""Helpers and constants for the browser tests (imported as ``browsertools``; fixtures live in conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import privacyscan

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-4.14.1.min.js"
# Without the background-networking flags chromium tries to reach the internet at start (this machine has none).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

# The browser suite logs in many times a minute from one address: lift the log-in rate limit for it.
PORTAL_SETTINGS = {"login_rate_limit": "10000 per minute"}

VNU_VERSION = "26.9.27"

KARIN = "198504124564"   # aquaculture founder; signatory of Bohusläns Ostron AB
SARA = "199206202344"    # becoming a parent
JOHAN = "197803157895"   # building a house
EVA = "196601013458"     # accountant with mandates
OLLE = "199511115678"    # no cases at all
OSTRON = "Bohusläns Ostron AB"


def browser_context(chromium, locale: str, javascript: bool, width: int, bypass_csp: bool):
    """A fresh browser context; every URL it requests goes to the privacy scan."""
    context = chromium.new_context(locale="sv-SE" if locale == "sv" else "en-GB", java_script_enabled=javascript,
                                   extra_http_headers={"Accept-Language": locale}, bypass_csp=bypass_csp,
                                   viewport={"width": width, "height": 900})
    context.on("request", lambda request: privacyscan.add("browser URL", request.url))
    return context


def login(page, portal, pnr: str) -> None:
    page.goto(portal.url + "/login")
    page.fill("#personnummer", pnr)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("main h1")
    # The h1 can be there before the deferred scripts have run: on a busy machine a test that then changes a filter
    # would do so before htmx listens, and nothing would happen. The load event comes after them.
    page.wait_for_load_state("load")


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page; returns the violations."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")


def switch_party(page, name: str) -> None:
    """Choose ``name`` in the "Act for" select and press "Switch"; waits until the party bar names it."""
    option = page.locator("#party-select option").filter(has_text=name).first
    assert option.count() == 1, f"no party {name!r} at {page.url}:\n{page.locator('body').inner_text()[:3000]}"
    page.select_option("#party-select", option.get_attribute("value"))
    page.click(".party-form button[type=submit]")
    page.wait_for_function("name => document.querySelector('.party-bar__name')?.textContent.trim() === name", arg=name)
    page.wait_for_load_state()


def case_links(page) -> list[str]:
    """Absolute URLs of every case on the overview, in page order."""
    return page.eval_on_selector_all(".case-card__title a", "els => els.map(a => a.href)")


def visible_text_outside_lang(page, lang: str) -> str:
    """The page's text (textContent, title and accessible-name attributes) minus every element whose ``lang``
    is not ``lang`` (producer texts, the other language's link): what the UI itself says."""
    return page.evaluate("""lang => {
        const clone = document.documentElement.cloneNode(true);
        clone.querySelectorAll('[lang]').forEach(el => {
            if (el !== clone && !el.getAttribute('lang').toLowerCase().startsWith(lang)) el.remove();
        });
        clone.querySelectorAll('script, style').forEach(el => el.remove());
        const attrs = [];
        clone.querySelectorAll('[aria-label], [title], [placeholder], [alt]').forEach(el => {
            for (const a of ['aria-label', 'title', 'placeholder', 'alt'])
                if (el.hasAttribute(a)) attrs.push(el.getAttribute(a));
        });
        return [clone.textContent, ...attrs].join('\\n').replace(/\\s+/g, ' ');
    }""", lang)


def check_html(vnu_jar, folder, pages: dict[str, dict[str, tuple[int, str]]]) -> dict[str, dict]:
    """Run the Nu Html Checker once over every page.

    ``pages``: locale -> name -> (HTTP status, HTML). Returns "name-locale" -> {"status", "file", "errors"}.
    """
    import json
    import subprocess
    from urllib.parse import unquote, urlsplit

    report = {}
    for locale, named in pages.items():
        for name, (status, html) in named.items():
            key = f"{name}-{locale}"
            path = Path(folder) / f"{key}.html"
            path.write_text(html, encoding="utf-8")
            report[key] = {"status": status, "file": path, "errors": []}
    result = subprocess.run(["java", "-jar", str(vnu_jar), "--errors-only", "--exit-zero-always", "--format", "json",
                             *[str(r["file"]) for r in report.values()]],
                            capture_output=True, text=True, timeout=180, check=False)
    try:
        messages = json.loads(result.stderr or result.stdout)["messages"]
    except (ValueError, KeyError) as exc:
        raise AssertionError(f"vnu gave no JSON report ({exc}): {result.stdout[-2000:]}{result.stderr[-2000:]}")
    by_file = {r["file"].resolve(): r for r in report.values()}
    for m in messages:
        target = by_file.get(Path(unquote(urlsplit(m.get("url", "")).path)).resolve())
        if target is None:
            raise AssertionError(f"vnu reported a message for no checked file: {m}")
        target["errors"].append(m)
    return report


def describe_html_error(m: dict) -> str:
    return f'line {m.get("lastLine")}: {m.get("message")} | {" ".join(m.get("extract", "").split())}'
