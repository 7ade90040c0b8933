"""A slow agency never holds up the page: its cases arrive by themselves (htmx poll), or on reload without JS."""

from __future__ import annotations

import time

import pytest

from browsertools import KARIN, login


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_slow_agency_cases_arrive_after_the_page(fresh_portal, browser_world, new_page, javascript):
    r = browser_world.admin("PUT", "/faults/skatteverket", {"latency_ms": 1500})
    assert r.status_code == 200
    try:
        page = new_page(javascript=javascript)
        started = time.monotonic()
        login(page, fresh_portal, KARIN)
        assert time.monotonic() - started < 1.4  # the page did not wait for Skatteverket
        waiting = page.locator(".notice", has_text="Väntar fortfarande på Skatteverket")
        assert waiting.count() == 1
        skv_cases = page.locator(".case-card", has_text="Skatteverket")
        assert skv_cases.count() == 0
        if javascript:
            waiting.wait_for(state="detached", timeout=8000)  # the poll swapped in the new list
        else:
            time.sleep(2)
            page.reload()
        assert page.locator(".notice", has_text="Väntar fortfarande").count() == 0
        assert skv_cases.count() > 0
    finally:
        browser_world.admin("DELETE", "/faults")
