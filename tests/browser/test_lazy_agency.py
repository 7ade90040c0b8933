"""A slow agency never holds up the page: its cases arrive by themselves (htmx poll), or on reload without JS.

Skatteverket's answer is *held* by the mock world until the test releases it, so "the page came before
Skatteverket answered" is a fact of the test, not a timing (the time a page takes is measured by
``make bench``, P4).
"""

from __future__ import annotations

import pytest

from browsertools import KARIN, login


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_slow_agency_cases_arrive_after_the_page(fresh_portal, browser_world, new_page, javascript):
    r = browser_world.admin("PUT", "/faults/skatteverket", {"held": True, "timeout_s": 60})
    assert r.status_code == 200
    try:
        page = new_page(javascript=javascript)
        login(page, fresh_portal, KARIN)
        # The page is here although Skatteverket has not answered yet (it cannot: its answer is held).
        waiting = page.locator(".notice", has_text="Väntar fortfarande på Skatteverket")
        assert waiting.count() == 1
        skv_cases = page.locator(".case-card", has_text="Skatteverket")
        assert skv_cases.count() == 0
        assert page.locator(".case-card").count() > 0  # the other agencies' cases are there already
        status = page.locator('.status-list__item[data-producer="skatteverket"]')
        assert "väntar på svar" in status.inner_text()  # not "svarade" while it has not

        assert browser_world.admin("PUT", "/faults/skatteverket", {"held": False}).status_code == 200
        if javascript:
            waiting.wait_for(state="detached", timeout=15000)  # the poll swapped in the new list
        else:
            for _ in range(30):  # reload until the released answer has been stored
                page.reload()
                if page.locator(".notice", has_text="Väntar fortfarande").count() == 0:
                    break
                page.wait_for_timeout(500)
        assert page.locator(".notice", has_text="Väntar fortfarande").count() == 0
        assert skv_cases.count() > 0
        # The same refresh brought the status list; and an answer that came late is not "new" on a first visit.
        assert "svarade," in status.inner_text()
        assert skv_cases.locator(".new-badge").count() == 0
    finally:
        browser_world.admin("DELETE", "/faults")
