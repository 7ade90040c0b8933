"""An incomplete answer never deletes cached cases (issue 14, item 1).

A 206, a failed ``delfraga`` behind the forwarder, an event re-sent in a form we cannot read, or
``totaltAntalKundhandelser`` above what came: the answer may lack events we hold, so a full refresh keeps
them, and the page names what failed instead of saying the agency answered. Every fetch here is a full one
(``full_refresh_h=0``), so the old behaviour (delete what a full answer lacks) would show.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from webtools import (KARIN, card_fact, case_cards, case_refs, demo_cases, demo_refs, login, notices, page, portal_config,
                      set_fault, status_items, text_of, timeline_titles)

from portal import create_app
from portal.config import DEMO_API_KEY, ProducerConfig

ALL_AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                "livsmedelsverket", "lantmateriet")
SETTINGS = {"fresh_s": 0, "full_refresh_h": 0, "page_deadline_s": 5.0}


def _home(client):
    r = client.get("/")
    assert r.status_code == 200
    return page(r)


def _everything(client) -> tuple[set[str], list[str]]:
    """The overview's case labels and every event title on every case page (sorted)."""
    home = _home(client)
    titles = []
    for a in home.select("main .case-card__title a"):
        titles += timeline_titles(page(client.get(a["href"])))
    return case_refs(home), sorted(titles)


@pytest.fixture()
def through_forwarder(tmp_path, private_world):
    """A portal whose only producer is the mock forwarder (Skatteverket's vidareförmedlingstjänst)."""
    cfg = portal_config(tmp_path, private_world.url, **SETTINGS)
    forwarder = ProducerConfig(slug="vidareformedling", name="Vidareförmedlingen", orgnr="2021005448",
                               url=private_world.url + "/vidareformedling", api_key=DEMO_API_KEY, timeout_s=5.0)
    app = create_app({"TESTING": True, "PORTAL": dataclasses.replace(cfg, producers=(forwarder,))})
    return app.test_client()


def test_an_agency_failing_behind_the_forwarder_deletes_nothing_and_is_named(private_world, through_forwarder):
    client = through_forwarder
    login(client, KARIN)
    before = _everything(client)
    assert before[0] == demo_refs(KARIN, ALL_AGENCIES, catalogued=False)  # the forwarder publishes no catalog

    set_fault(private_world, "jordbruksverket", fault="error500")  # the forwarder answers 206, a delfraga FEL
    soup = _home(client)
    assert _everything(client) == before  # Jordbruksverket's cases are all still there
    line = status_items(soup)["vidareformedling"]
    assert "ofullständigt svar" in line and "Inget svar från Jordbruksverket." in line
    assert not re.search(r"\bsvarade\b", line)  # it does not say the forwarder answered
    assert "Jordbruksverket svarade inte via Vidareförmedlingen; vi visar det vi hade därifrån." in notices(soup)

    set_fault(private_world, "jordbruksverket", fault="none")  # back: the status says it answered, in full
    soup = _home(client)
    assert "ofullständigt" not in status_items(soup)["vidareformedling"]
    assert not [n for n in notices(soup) if "via Vidareförmedlingen" in n]


@pytest.mark.parametrize("fault", ["partial", "resent_malformed", "short"])
def test_an_incomplete_answer_from_an_agency_itself_deletes_nothing(private_world, make_private_app, fault):
    client = make_private_app(**SETTINGS).test_client()
    login(client, KARIN)
    before = _everything(client)
    set_fault(private_world, "skatteverket", fault=fault)
    soup = _home(client)
    assert _everything(client) == before
    line = status_items(soup)["skatteverket"]
    assert "ofullständigt svar" in line and not re.search(r"\bsvarade\b", line)
    assert "Skatteverket gav ett ofullständigt svar; ärenden vi hade därifrån finns kvar." in notices(soup)
    assert "ofullständigt" not in status_items(soup)["jordbruksverket"]
    skv = next(c for c in case_cards(soup) if card_fact(c, "Myndighet") == "Skatteverket")
    case = page(client.get(skv.select_one(".case-card__title a")["href"]))
    assert "Skatteverket gav ett ofullständigt svar; det här är kanske inte det senaste." in [
        text_of(n) for n in case.select("main .notice")]


def test_a_complete_full_answer_still_deletes_a_withdrawn_event(private_world, make_private_app):
    """The rule is about incomplete answers only: a withdrawn event still goes at a complete full refresh."""
    client = make_private_app(**SETTINGS).test_client()
    login(client, KARIN)
    gone = next(label for (_, label), events in demo_cases(KARIN, ["skatteverket"]).items()  # a case of one event
                if [e["kundhandelseId"] for e in events] == ["skv-0003"])
    assert gone in case_refs(_home(client))
    set_fault(private_world, "skatteverket", fault="resent_malformed")
    private_world.admin("DELETE", "/producers/skatteverket/events/skv-0003")
    assert gone in case_refs(_home(client))  # incomplete: kept
    set_fault(private_world, "skatteverket", fault="none")
    assert gone not in case_refs(_home(client))  # complete: gone
