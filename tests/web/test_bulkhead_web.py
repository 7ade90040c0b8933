"""One agency trickling its answers to everyone cannot take the portal's fetch pool from the others."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from portal.fanout import POOL_SIZE, busy
from portal.standard.identity import make_personnummer
from webtools import SARA, case_refs, demo_refs, login, page, set_fault

HEALTHY = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
           "livsmedelsverket")


def test_a_trickling_agency_does_not_starve_a_healthy_user(private_world, make_private_app):
    # Lantmäteriet sends a byte every 200 ms for a minute: no per-read timeout ever fires.
    set_fault(private_world, "lantmateriet", fault="trickle", timeout_s=60, trickle_ms=200)
    # The fetch pool belongs to the process, so two apps share it: the crowd's pages are served at the usual
    # page deadline, Sara's page waits long enough that only a starved pool could leave her without cases.
    crowd = make_private_app(total_deadline_s=60.0, login_rate_limit="1000 per minute")
    patient = make_private_app(page_deadline_s=15.0, total_deadline_s=60.0)

    def open_overview(pnr: str) -> int:
        client = crowd.test_client()
        login(client, pnr)
        return client.get("/").status_code

    # More people than the pool has threads, each opening a page that asks Lantmäteriet.
    people = [make_personnummer("19800101", f"{i:03d}") for i in range(POOL_SIZE + 4)]
    with ThreadPoolExecutor(12) as pool:
        assert set(pool.map(open_overview, people)) == {200}

    client = patient.test_client()
    login(client, SARA)
    soup = page(client.get("/"))
    assert demo_refs(SARA, HEALTHY)
    assert case_refs(soup) == demo_refs(SARA, HEALTHY)

    # Let the queued calls fail against a stopped world now, not during later tests.
    private_world.stop()
    for _ in range(300):
        if not busy("lantmateriet"):
            break
        time.sleep(0.1)
