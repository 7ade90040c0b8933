"""Keeping the cache fresh: new events appear on reload; withdrawn events disappear at the next full refresh.

Intended behaviour (portal/sync.py): a stale cache is refreshed *incrementally* (``startDatum`` = the day of the last
successful fetch minus ``overlap_days``), which brings new events but never removes anything; only a *full* fetch,
every ``full_refresh_h``, drops events the producer no longer sends. So a withdrawn event stays on the page until the
next full refresh. Each test has its own mock world.
"""

from __future__ import annotations

import datetime as dt
import re

from portal.standard import clock
from webtools import KARIN, case_link, case_refs, demo_cases, demo_refs, login, page, text_of, timeline_titles

ALL_AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                "livsmedelsverket", "lantmateriet")
# Karin's 2024 final tax statement: one event, skv-0003. Answers name it only by its link (referenser.lank),
# so the page has no reference for it and calls it by its type, "Inkomstdeklaration", and (as she has two
# income tax returns) the day it started.
OLD_LINK = "https://www.skatteverket.se/mina-sidor/arende/20250428-2113-6602"
OLD_EVENT = "skv-0003"
OLD_CASE = next(label for (_, label), events in demo_cases(KARIN, ["skatteverket"]).items()
                if any(e["kundhandelseId"] == OLD_EVENT for e in events))


def _home(client):
    r = client.get("/")
    assert r.status_code == 200
    return page(r)


def _new_event(event_id: str, arende: str, rubrik: str, *, customer_must_act: bool = False,
               when: dt.datetime | None = None) -> dict:
    when = when or clock.now().replace(microsecond=0)
    return {
        "kundhandelseId": event_id,
        "part": {"kund": {"identifierare": KARIN, "typ": "Personnummer"},
                 "arende": {"identifierare": arende, "typ": "Diarienummer"}},
        "rubrik": rubrik,
        "beskrivning": "Ett meddelande som testet lade till.",
        "sprak": "sv",
        "producent": "Skatteverket",
        "tidpunkt": when.isoformat(),
        "kundhandelseTyp": "SKV.INKOMSTDEKLARATION.FORFRAGAN",
        "producentarendetKraverKundatgard": customer_must_act,
        "producentarendetKlart": False,
        "version": "6.1",
        "utokadInformation": {"senastDatum": str(clock.today() + dt.timedelta(days=30))} if customer_must_act else {},
        "referenser": {"diarienummer": arende},  # what names the case in an answer (part.arende is not returned)
    }


def _put(world, event):
    r = world.admin("PUT", "/producers/skatteverket/events", event)
    assert r.status_code == 200, r.text


def test_new_event_appears_on_reload(private_world, make_private_app):
    client = make_private_app(fresh_s=0).test_client()  # full_refresh_h stays 24: the reload is incremental
    login(client, KARIN)
    assert case_refs(_home(client)) == demo_refs(KARIN, ALL_AGENCIES)

    _put(private_world, _new_event("skv-test-1", "131 999999-26/113", "Vi har frågor om din ansökan",
                                   customer_must_act=True))
    soup = _home(client)
    assert case_refs(soup) == demo_refs(KARIN, ALL_AGENCIES) | {"131 999999-26/113"}
    your_turn = [text_of(a) for a in soup.select("main section.section--your-turn .case-card__title a")]
    assert "Inkomstdeklaration (131 999999-26/113)" in your_turn  # a third income tax case: told by its reference
    case = page(client.get(case_link(soup, re.escape("(131 999999-26/113)"))))
    assert timeline_titles(case) == ["Vi har frågor om din ansökan"]


def test_new_event_in_an_existing_case_tops_its_timeline(private_world, make_private_app):
    client = make_private_app(fresh_s=0).test_client()
    login(client, KARIN)
    soup = _home(client)
    href = case_link(soup, re.escape(OLD_CASE))
    before = timeline_titles(page(client.get(href)))

    event = _new_event("skv-test-2", "20250428-2113-6602", "Vi har ändrat ditt slutskattebesked")
    event["part"]["arende"]["typ"] = "Kvittensnummer"
    event["referenser"] = {"lank": OLD_LINK}  # as the case's first event: its link is what ties them together
    _put(private_world, event)
    _home(client)
    after = timeline_titles(page(client.get(href)))
    assert after == ["Vi har ändrat ditt slutskattebesked"] + before


def test_cache_younger_than_fresh_s_is_shown_without_asking(private_world, make_private_app):
    client = make_private_app(fresh_s=3600).test_client()
    login(client, KARIN)
    _home(client)
    _put(private_world, _new_event("skv-test-4", "131 888888-26/113", "Ett nytt ärende"))
    assert "131 888888-26/113" not in case_refs(_home(client))


def test_deleted_event_disappears_at_a_full_refresh(private_world, make_private_app):
    client = make_private_app(fresh_s=0, full_refresh_h=0).test_client()
    login(client, KARIN)
    assert OLD_CASE in case_refs(_home(client))
    r = private_world.admin("DELETE", f"/producers/skatteverket/events/{OLD_EVENT}")
    assert r.status_code == 200, r.text
    soup = _home(client)
    assert OLD_CASE not in case_refs(soup)
    assert case_refs(soup) == demo_refs(KARIN, ALL_AGENCIES, without=frozenset({OLD_EVENT}))


def test_deleted_event_stays_until_the_next_full_refresh(private_world, make_private_app):
    """Intended: an incremental refresh only adds; the withdrawn event goes at the next full refresh."""
    client = make_private_app(fresh_s=0, full_refresh_h=1000).test_client()
    login(client, KARIN)
    assert OLD_CASE in case_refs(_home(client))
    r = private_world.admin("DELETE", f"/producers/skatteverket/events/{OLD_EVENT}")
    assert r.status_code == 200, r.text
    soup = _home(client)
    assert OLD_CASE in case_refs(soup)
    assert case_refs(soup) == demo_refs(KARIN, ALL_AGENCIES)
    # ... and everything is still up to date otherwise: Skatteverket answered.
    assert not soup.select('[data-producer="skatteverket"].status-list__item--failed')


def test_failed_refresh_deletes_nothing(private_world, make_private_app):
    client = make_private_app(fresh_s=0, full_refresh_h=0).test_client()
    login(client, KARIN)
    _home(client)
    private_world.admin("DELETE", f"/producers/skatteverket/events/{OLD_EVENT}")
    private_world.admin("PUT", "/faults/skatteverket", {"fault": "error500"})
    soup = _home(client)
    assert case_refs(soup) == demo_refs(KARIN, ALL_AGENCIES)  # what we had, with a notice
    assert any(n.startswith("Skatteverket svarade inte") for n in
               [text_of(p) for p in soup.select("main .notice")])
