"""Keyboard only, JavaScript on: skip link, log-in, party switch, focus after the boosted switch, visible focus."""

from __future__ import annotations

from playwright.sync_api import expect

from browsertools import KARIN, OSTRON

MAX_TABS = 80

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
            text: (el.innerText || el.value || '').trim().slice(0, 60),
            outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0, boxShadow: s.boxShadow,
            inMain: !!el.closest('main'), focusVisible: el.matches(':focus-visible'),
            // false when focus is inside the element's user-agent shadow tree (the date input's calendar button)
            selfFocused: el.matches(':focus')};
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def assert_focus_visible(info: dict) -> None:
    assert info is not None, "nothing has focus"
    assert info["outlineStyle"] != "none" and info["outlineWidth"] > 0, f"focus is not visible on {info}"


def tab_to(page, predicate, what: str) -> dict:
    """Press Tab until ``predicate(focused element info)``; every stop on the way must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is not None:
            assert_focus_visible(info)
            if predicate(info):
                return info
    raise AssertionError(f"{what} not reached with {MAX_TABS} presses of Tab")


def test_skip_link_comes_first_and_moves_focus_into_main(portal, new_page):
    page = new_page()
    page.goto(portal.url + "/login")
    page.keyboard.press("Tab")
    info = focused(page)
    assert info["tag"] == "a" and "skip-link" in info["cls"], info
    assert info["text"] == "Hoppa till innehållet"
    assert_focus_visible(info)
    expect(page.locator(".skip-link")).to_be_in_viewport()  # shown while it has focus
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    # The next Tab continues inside main, not back in the header.
    page.keyboard.press("Tab")
    assert focused(page)["inMain"], focused(page)


def test_log_in_and_switch_party_with_the_keyboard_only(portal, new_page):
    page = new_page()
    page.goto(portal.url + "/login")
    tab_to(page, lambda i: i["id"] == "personnummer", "the personal identity number field")
    page.keyboard.type(KARIN)
    page.keyboard.press("Enter")
    expect(page.locator("main h1")).to_have_text("Dina ärenden")

    tab_to(page, lambda i: i["id"] == "party-select", 'the "Företräd" select')
    before = page.input_value("#party-select")
    page.keyboard.press("ArrowDown")  # a closed select changes its value with the arrow keys
    expect(page.locator("#party-select option:checked")).to_contain_text(OSTRON)
    assert page.input_value("#party-select") != before
    info = tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Byt", 'the "Byt" button')
    assert_focus_visible(info)
    page.evaluate("window.__sameDocument = true")
    page.keyboard.press("Enter")

    expect(page.locator("main h1")).to_have_text(f"Ärenden för {OSTRON}")
    assert page.evaluate("window.__sameDocument === true"), "the switch should be an htmx-boosted swap"
    # static/js/portal.js moves focus to the new page's heading after the boosted swap.
    expect(page.locator("main h1")).to_be_focused()
    assert_focus_visible(focused(page))
    # From the heading, Tab goes on into the page's content (the filter form), not back to the top.
    page.keyboard.press("Tab")
    info = focused(page)
    assert info["inMain"], info
    assert_focus_visible(info)


def test_every_tab_stop_on_the_overview_shows_focus(portal, new_page):
    page = new_page()
    page.goto(portal.url + "/login")
    page.fill("#personnummer", KARIN)
    page.keyboard.press("Enter")
    expect(page.locator("main h1")).to_have_text("Dina ärenden")
    stops = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is None or (stops and info == stops[0]):
            break
        stops.append(info)
    assert len(stops) > 10, stops  # header, party form, filters, case links
    own = [s for s in stops if s["selfFocused"]]
    hidden = [s for s in own if s["outlineStyle"] == "none" or s["outlineWidth"] == 0]
    assert not hidden, f"Tab stops without a visible focus indicator: {hidden}"
    # Chromium gives a date input a fourth Tab stop, its calendar button, inside the input's user-agent shadow
    # tree: the page's CSS cannot reach it and the browser draws its own (thin) ring there. Nothing else may
    # hold focus that way.
    inner = {(s["tag"], s["id"]) for s in stops if not s["selfFocused"]}
    assert inner <= {("input", "filter-from"), ("input", "filter-to")}, inner
