"""Deadlines out: the iCalendar feed of the acting party's open deadlines, behind a secret URL that can be revoked.

Expected deadlines come from the demo data: a case whose latest event puts the ball with the customer
(``producentarendetKraverKundatgard``) and names ``utokadInformation.senastDatum``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from webtools import (
    DATA,
    EVA,
    KARIN,
    act_as,
    assert_page_structure,
    demo_cases,
    identity_numbers_in,
    known_identity_numbers,
    login,
    page,
    text_of,
)

from portal.config import DEMO_CONFIG, load
from portal.standard import clock

OSTRON = "165590001235"
KUSTBAGERIET = "165590002340"
ALL_SLUGS = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
             "livsmedelsverket", "lantmateriet")
AGENCY_NAMES = {p.slug: p.name for p in load(DEMO_CONFIG, {}, testing=True).producers}


def open_deadlines(kund: str, slugs=ALL_SLUGS) -> dict[dt.date, tuple[str, dict]]:
    """deadline -> (slug, latest event) for each case of ``kund`` waiting for the customer with a last day."""
    out = {}
    for (slug, _ref), events in demo_cases(kund, slugs).items():
        latest = events[0]
        deadline = (latest.get("utokadInformation") or {}).get("senastDatum")
        if latest["producentarendetKraverKundatgard"] and not latest["producentarendetKlart"] and deadline:
            assert dt.date.fromisoformat(deadline) not in out  # one case per date keeps the comparison simple
            out[dt.date.fromisoformat(deadline)] = (slug, latest)
    return out


def token(client, path: str = "/kalender") -> str:
    return page(client.get(path)).select_one('main input[name="csrf_token"]')["value"]


def make_link(client) -> str:
    """Press "Make a calendar address"; returns the feed's path (shown once, on the page the POST leads to)."""
    response = client.post("/kalender", data={"csrf_token": token(client)}, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert page(client.get("/kalender")).select_one("#feed-url") is None  # a reload shows it no more
    soup = page(response)
    url = soup.select_one("#feed-url")["value"]
    assert url.endswith(".ics")
    return urlsplit(url).path


def fetch(app, path: str):
    """GET the feed like a calendar app does: a fresh client, no cookies, no session."""
    return app.test_client().get(path)


def vevents(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def as_party(client, pnr: str, party: str | None = None):
    login(client, pnr)
    if party:
        assert act_as(client, party).status_code == 302
    assert client.get("/").status_code == 200  # the overview: as after the switch in a browser
    return client


@pytest.fixture()
def ostron(client):
    return as_party(client, KARIN, "Bohusläns Ostron")


def test_the_address_is_shown_once(ostron):
    soup = page(ostron.get("/kalender"))
    assert_page_structure(soup)
    assert soup.select_one("#feed-url") is None
    assert [text_of(b) for b in soup.select("main form button")] == ["Skapa en kalenderadress"]
    path = make_link(ostron)
    assert re.fullmatch(r"/kalender/[A-Za-z0-9_-]{20,}\.ics", path)
    assert not identity_numbers_in(path)
    again = page(ostron.get("/kalender"))
    assert again.select_one("#feed-url") is None
    assert path not in again.decode()
    assert [text_of(b) for b in again.select("main form button")] == ["Skapa en ny kalenderadress",
                                                                      "Stäng av kalenderadressen"]


def test_the_feed_holds_one_event_per_open_deadline_of_the_party(app, ostron):
    response = fetch(app, make_link(ostron))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data()
    events = vevents(body)
    expected = open_deadlines(OSTRON)
    assert len(expected) == 3  # Länsstyrelsen twice, Livsmedelsverket once
    assert len(events) == len(expected)
    starts = {e.decoded("dtstart"): e for e in events}
    assert set(starts) == set(expected)
    for day, event in starts.items():
        assert isinstance(day, dt.date) and not isinstance(day, dt.datetime)  # all-day
        assert event.decoded("dtend") == day + dt.timedelta(days=1)
        slug, latest = expected[day]
        summary = str(event.get("summary"))
        assert latest["rubrik"] in summary and AGENCY_NAMES[slug] in summary
    assert len({str(e.get("uid")) for e in events}) == len(events)
    assert "Bohusläns Ostron AB" in str(Calendar.from_ical(body).get("x-wr-calname"))


def test_the_feed_holds_no_identity_number(app, ostron):
    body = fetch(app, make_link(ostron)).get_data(as_text=True)
    unfolded = body.replace("\r\n ", "")  # iCalendar folds long lines
    assert vevents(body.encode())
    assert identity_numbers_in(unfolded) == []
    for number in ("165590001235", "5590001235", "559000-1235", KARIN, KARIN[2:]):
        assert number not in unfolded
    assert not [n for n in known_identity_numbers() if n in unfolded]


def test_the_feed_is_the_acting_partys(app, client):
    """A link made while Karin acts for herself has her deadlines (her firm's statistics), not the AB's."""
    as_party(client, KARIN)
    events = vevents(fetch(app, make_link(client)).get_data())
    assert {e.decoded("dtstart") for e in events} == set(open_deadlines(KARIN))
    assert not set(open_deadlines(KARIN)) & set(open_deadlines(OSTRON))


def test_feed_polls_are_counted_apart_and_leave_who_has_looked_to_people(app, client):
    """A calendar app polls about 288 times a day: that must not push a representative's look off the page."""
    as_party(client, KARIN)
    path = make_link(client)
    eva = app.test_client()
    as_party(eva, EVA, "Karin Ström")
    polls = 201  # one more than the page lists
    for _ in range(polls):
        assert fetch(app, path).status_code == 200
    soup = page(client.get("/vem-har-tittat"))
    rows = [[text_of(td) for td in tr.select("td")] for tr in soup.select("main .audit-table tbody tr")]
    assert ["Eva Nyström", "fullmakt", "Öppnade översikten"] in [row[1:] for row in rows]
    assert [text_of(li).split(", senast")[0] for li in soup.select("main .feed-polls li")] == \
        [f"Ditt kalenderflöde: hämtat {polls} gånger"]


def test_a_new_address_makes_the_old_one_stop(app, ostron):
    old = make_link(ostron)
    assert fetch(app, old).status_code == 200
    new = make_link(ostron)
    assert new != old
    assert fetch(app, old).status_code == 404
    assert fetch(app, new).status_code == 200


def test_stopping_the_address(app, ostron):
    path = make_link(ostron)
    response = ostron.post("/kalender/aterkalla", data={"csrf_token": token(ostron)})
    assert response.status_code == 303
    assert fetch(app, path).status_code == 404
    soup = page(ostron.get("/kalender"))
    assert [text_of(b) for b in soup.select("main form button")] == ["Skapa en kalenderadress"]


def test_each_party_has_its_own_address(app, ostron):
    """Stopping the AB's address leaves the one made for Karin herself working, and the other way round."""
    company = make_link(ostron)
    act_as(ostron, "du själv")
    ostron.get("/")
    own = make_link(ostron)
    ostron.post("/kalender/aterkalla", data={"csrf_token": token(ostron)})
    assert fetch(app, own).status_code == 404
    assert fetch(app, company).status_code == 200


@pytest.mark.parametrize("path", ["/kalender/finns-inte.ics", "/kalender/" + "A" * 32 + ".ics",
                                  "/kalender/" + "A" * 300 + ".ics", "/kalender/.ics"])
def test_unknown_addresses_are_404(app, path):
    assert fetch(app, path).status_code == 404


def test_the_calendar_page_needs_a_login_and_changes_need_the_csrf_token(app, ostron):
    response = app.test_client().get("/kalender")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert ostron.post("/kalender").status_code == 400
    assert ostron.post("/kalender/aterkalla").status_code == 400
    path = make_link(ostron)
    assert ostron.post("/kalender/aterkalla", data={"csrf_token": "forged"}).status_code == 400
    assert fetch(app, path).status_code == 200


def test_an_address_made_under_a_mandate_stops_when_the_mandate_is_revoked(private_world, make_private_app):
    app = make_private_app(representation_ttl_s=0)
    client = as_party(app.test_client(), EVA, "Kustbageriet")
    path = make_link(client)
    response = fetch(app, path)
    assert response.status_code == 200
    expected = open_deadlines(KUSTBAGERIET, ("skatteverket",))  # her mandate: Skatteverket only
    assert expected
    assert {e.decoded("dtstart") for e in vevents(response.get_data())} == set(expected)

    registry = json.loads((DATA / "minaombud.json").read_text(encoding="utf-8"))
    revoked = copy.deepcopy(registry)
    (mandate,) = [f for f in revoked["fullmakter"] if f["fullmaktsgivare"]["id"] == KUSTBAGERIET[2:]
                  and f["fullmaktshavare"][0]["id"] == EVA]
    mandate["aterkallad"] = "2026-11-01"
    r = private_world.admin("PUT", "/registry", revoked)
    assert r.status_code == 200, r.text
    assert fetch(app, path).status_code == 404

    # Given back, the same address works again: it was refused because of the mandate, not deleted.
    assert private_world.admin("PUT", "/registry", registry).status_code == 200
    assert fetch(app, path).status_code == 200


def test_a_new_deadline_reaches_the_feed_without_a_visit(private_world, make_private_app):
    app = make_private_app(fresh_s=0)
    client = as_party(app.test_client(), KARIN, "Bohusläns Ostron")
    path = make_link(client)
    before = {e.decoded("dtstart") for e in vevents(fetch(app, path).get_data())}
    # Dated from the shared clock: the event is news today, whatever day the suite runs.
    deadline = clock.today() + dt.timedelta(days=60)
    event = {
        "kundhandelseId": "lst-test-deadline", "part": {"kund": {"identifierare": OSTRON, "typ": "Organisationsnummer"},
                                                        "arende": {"identifierare": "551-99999-2026",
                                                                   "typ": "Diarienummer"}},
        "rubrik": "Vi behöver en karta", "sprak": "sv", "producent": "Länsstyrelsen Västra Götaland",
        "tidpunkt": (clock.now() - dt.timedelta(hours=1)).isoformat(timespec="seconds"),
        "kundhandelseTyp": "LST.STRANDSKYDD.KOMPLETTERING",
        "producentarendetKraverKundatgard": True, "producentarendetKlart": False, "version": "6.1",
        "utokadInformation": {"senastDatum": deadline.isoformat()},
        "referenser": {"diarienummer": "551-99999-2026"},  # answers name the case here, not in part.arende
    }
    r = private_world.admin("PUT", "/producers/lansstyrelsen/events", event)
    assert r.status_code == 200, r.text
    after = {e.decoded("dtstart") for e in vevents(fetch(app, path).get_data())}
    assert after == before | {deadline}


def test_each_deadline_reminds_a_week_and_a_day_ahead_and_the_address_opens_in_a_calendar_app(app, ostron):
    response = ostron.post("/kalender", data={"csrf_token": token(ostron)}, follow_redirects=True)
    soup = page(response)
    url = soup.select_one("#feed-url")["value"]
    webcal = soup.select_one('main a[href^="webcal://"]')
    assert webcal["href"] == "webcal://" + url.split("://", 1)[1]
    assert text_of(webcal) == "Öppna i din kalenderapp"
    events = vevents(fetch(app, urlsplit(url).path).get_data())
    assert events
    for event in events:
        alarms = [c for c in event.subcomponents if c.name == "VALARM"]
        assert sorted(a.decoded("trigger") for a in alarms) == [-dt.timedelta(days=7), -dt.timedelta(days=1)]
        assert all(str(a.get("action")) == "DISPLAY" for a in alarms)
