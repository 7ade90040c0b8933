"""Per-stage server times (setting ``server_timing``), and the unread counts the overview now counts in SQLite."""

from __future__ import annotations

import re
import datetime as dt

from portal.standard import clock
from webtools import KARIN, case_link, login, page, text_of

OLD_LINK = "https://www.skatteverket.se/mina-sidor/arende/20250428-2113-6602"  # Karin's 2024 tax statement


def _stages(header: str) -> dict[str, float]:
    out = {}
    for part in header.split(","):
        name, _, dur = part.strip().partition(";dur=")
        out[name] = float(dur)
    return out


def test_server_timing_names_each_stage_of_an_overview(make_app):
    client = make_app(server_timing=True).test_client()
    login(client, KARIN)
    r = client.get("/")
    assert r.status_code == 200
    stages = _stages(r.headers["Server-Timing"])
    assert {"session", "acting", "sync", "seen", "sections", "render", "audit", "total"} <= set(stages)
    assert all(v >= 0 for v in stages.values())
    assert stages["total"] >= stages["render"]


def test_no_server_timing_unless_configured(client):
    login(client, KARIN)
    r = client.get("/")
    assert r.status_code == 200
    assert "Server-Timing" not in r.headers


def _badges(soup) -> dict[str, str]:
    """Case title -> its "new" badge text, for the cards that have one."""
    out = {}
    for card in soup.select("main .case-card"):
        badge = card.select_one(".new-badge")
        if badge is not None:
            out[text_of(card.select_one(".case-card__title"))] = text_of(badge)
    return out


def test_an_event_that_arrives_after_the_first_look_is_counted_new_until_the_case_is_opened(
        private_world, make_private_app):
    client = make_private_app(fresh_s=0).test_client()
    login(client, KARIN)
    first = page(client.get("/"))
    assert _badges(first) == {}  # the first look is calm: nothing is new yet
    when = clock.now().replace(microsecond=0) + dt.timedelta(minutes=1)
    event = {
        "kundhandelseId": "skv-timing-1",
        "part": {"kund": {"identifierare": KARIN, "typ": "Personnummer"},
                 "arende": {"identifierare": "20250428-2113-6602", "typ": "Kvittensnummer"}},
        "rubrik": "Vi har ändrat ditt slutskattebesked", "beskrivning": "Ett meddelande som testet lade till.",
        "sprak": "sv", "producent": "Skatteverket", "tidpunkt": when.isoformat(),
        "kundhandelseTyp": "SKV.INKOMSTDEKLARATION.FORFRAGAN", "producentarendetKraverKundatgard": False,
        "producentarendetKlart": False, "version": "6.1", "utokadInformation": {},
        "referenser": {"lank": OLD_LINK},
    }
    r = private_world.admin("PUT", "/producers/skatteverket/events", event)
    assert r.status_code == 200, r.text
    soup = page(client.get("/"))
    badges = _badges(soup)
    assert list(badges.values()) == ["1 ny"], badges
    (title,) = badges
    assert client.get(case_link(soup, re.escape(title))).status_code == 200
    assert _badges(page(client.get("/"))) == {}, f"{title} still marked new after it was opened"
