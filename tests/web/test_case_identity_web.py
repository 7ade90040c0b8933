"""Which events make one case, when answers carry no ``part.arende`` (issue 13 item 2, issue 14 item 5).

Real answers name a case only through ``referenser``: two cases of one type stay two cases, a closed one
never closes or hides the other, and when an agency corrects an event's case reference the old case is
rebuilt from what is left (or disappears), never left behind as a ghost.
"""

from __future__ import annotations

import datetime as dt
import re

from webtools import (JOHAN, KARIN, card_fact, case_cards, case_link, case_refs, demo_cases, demo_events, event_time, login, page,
                      text_of)

SETTINGS = {"fresh_s": 0, "full_refresh_h": 0, "page_deadline_s": 5.0}
OPEN_PERMIT = "B 2026-000731"  # Johan's building permit: Tanum waits for a site plan from him


def _home(client):
    r = client.get("/")
    assert r.status_code == 200
    return page(r)


def _your_turn(soup) -> list[str]:
    return [card_fact(c, "Referens") for c in soup.select("main section.section--your-turn .case-card")]


def _tanum_event(event_id: str, typ: str, when: str, diarienummer: str, *, klart=False, kraver=False,
                 rubrik="Bygglov") -> dict:
    return {
        "kundhandelseId": event_id,
        "part": {"kund": {"identifierare": JOHAN, "typ": "Personnummer"}},  # no arende, as often in practice
        "rubrik": rubrik, "sprak": "sv", "producent": "Tanums kommun", "tidpunkt": when,
        "kundhandelseTyp": typ, "producentarendetKraverKundatgard": kraver, "producentarendetKlart": klart,
        "version": "6.1", "referenser": {"diarienummer": diarienummer},
    }


def _demo(event_id: str) -> dict:
    """A demo event as the mock world serves it today (its dates moved)."""
    slug = {"tanum": "tanum", "skv": "skatteverket"}[event_id.split("-")[0]]
    return next(e for e in demo_events(slug) if e["kundhandelseId"] == event_id)


def _later(event_id: str, days: int) -> str:
    return (event_time(_demo(event_id)) + dt.timedelta(days=days)).isoformat()


def _put(world, slug, event):
    r = world.admin("PUT", f"/producers/{slug}/events", event)
    assert r.status_code == 200, r.text


def test_two_building_permits_stay_two_cases_and_a_decision_hides_no_open_deadline(private_world,
                                                                                  make_private_app):
    # A second building permit of Johan's, decided after the open one's last event.
    _put(private_world, "tanum", _tanum_event("tanum-test-1", "TANUM.BYGGLOV.MOTTAGEN", _later("tanum-0014", -30),
                                              "B 2026-000512", rubrik="Vi har tagit emot din ansökan om bygglov"))
    _put(private_world, "tanum", _tanum_event("tanum-test-2", "TANUM.BYGGLOV.BESLUT", _later("tanum-0016", 1),
                                              "B 2026-000512", klart=True, rubrik="Beslut: bygglov beviljat"))
    client = make_private_app(**SETTINGS).test_client()
    login(client, JOHAN)
    soup = _home(client)
    assert {OPEN_PERMIT, "B 2026-000512"} <= case_refs(soup)
    assert _your_turn(soup) == [OPEN_PERMIT]  # the other permit's decision closes only that permit
    [decided] = [c for c in case_cards(soup) if card_fact(c, "Referens") == "B 2026-000512"]
    assert "Avslutat" in text_of(decided.select_one(".badge"))
    case = page(client.get(decided.select_one(".case-card__title a")["href"]))
    assert [text_of(t) for t in case.select(".timeline__title")] == ["Beslut: bygglov beviljat",
                                                                     "Vi har tagit emot din ansökan om bygglov"]


def test_a_corrected_case_reference_leaves_no_ghost_case(private_world, make_private_app):
    client = make_private_app(**SETTINGS).test_client()
    login(client, JOHAN)
    soup = _home(client)
    assert _your_turn(soup) == [OPEN_PERMIT]
    old_href = next(c.select_one(".case-card__title a")["href"] for c in case_cards(soup)
                    if card_fact(c, "Referens") == OPEN_PERMIT)

    # Tanum corrects its request for a site plan (tanum-0016): it belongs to permit B 2026-000999.
    _put(private_world, "tanum", _tanum_event("tanum-0016", "TANUM.BYGGLOV.KOMPLETTERING", _later("tanum-0016", 0),
                                              "B 2026-000999", kraver=True, rubrik="Vi behöver en situationsplan"))
    soup = _home(client)
    assert _your_turn(soup) == ["B 2026-000999"]  # no phantom "your turn" left on the old case
    [old] = [c for c in case_cards(soup) if card_fact(c, "Referens") == OPEN_PERMIT]  # rebuilt from what is left
    assert "Myndigheten handlägger" in text_of(old.select_one(".badge"))
    assert len(page(client.get(old_href)).select(".timeline > li")) == 2


def test_a_case_whose_only_event_moved_disappears(private_world, make_private_app):
    client = make_private_app(**SETTINGS).test_client()
    login(client, KARIN)
    # skv-0003, named by its link alone: by its type and (Karin has two income tax cases) the day it started
    title = re.escape(next(label for (_, label), events in demo_cases(KARIN, ["skatteverket"]).items()
                           if any(e["kundhandelseId"] == "skv-0003" for e in events)))
    old_href = case_link(_home(client), f"^{title}$")
    event = _demo("skv-0003")
    event["referenser"] = {"lank": "https://www.skatteverket.se/mina-sidor/arende/20250428-2113-6699"}
    _put(private_world, "skatteverket", event)
    soup = _home(client)
    new_href = case_link(soup, f"^{title}$")  # one card with that title, no ghost beside it
    assert new_href != old_href
    assert client.get(old_href).status_code == 404
    assert client.get(new_href).status_code == 200
