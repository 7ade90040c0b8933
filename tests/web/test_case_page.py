"""The case page: a timeline of one producer case, newest first; only for the party the user acts for."""

from __future__ import annotations

import datetime as dt

from webtools import (card_label, demo_deadline, KARIN, SARA, act_as, assert_page_structure, ball_holder, card_fact, case_cards, case_link,
                      demo_cases, demo_day, event_time, sv_moment, login, page, producer_text, text_of)

OSTRON_AB = "165590001235"
ALL_AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                "livsmedelsverket", "lantmateriet")
BADGE = {"customer": "Din tur", "producer": "Myndigheten handlägger", "closed": "Avslutat"}


def _home(client):
    r = client.get("/")
    assert r.status_code == 200
    return page(r)


def _case_page(client, href):
    r = client.get(href)
    assert r.status_code == 200, href
    return page(r)


def _check_timeline(soup, events, agency):
    items = soup.select("ol.timeline > li.timeline__item")
    assert len(items) == len(events)
    times = []
    for item, event in zip(items, events):
        title = producer_text(item.select_one(".timeline__title"))
        assert text_of(title) == event["rubrik"]
        assert title["lang"] == event.get("sprak", "sv")
        text = item.select_one(".timeline__text")
        assert text_of(text) == " ".join(event["beskrivning"].split())
        time = item.select_one("time[datetime]")
        when = dt.datetime.fromisoformat(time["datetime"])
        assert when == event_time(event)
        assert text_of(time)  # shown to the user, not only in the attribute
        times.append(when)
        badge = item.select_one(".badge")
        assert text_of(badge).endswith(BADGE[ball_holder(event)])
        assert f"badge--{ball_holder(event)}" in badge["class"]
        assert f"timeline__item--{ball_holder(event)}" in item["class"]
        link = item.select_one("a[href]")
        lank = event.get("referenser", {}).get("lank")
        if lank:
            assert link["href"] == lank
            assert link["href"].startswith("https://")
            assert "noopener" in link["rel"]
            assert text_of(link) == f"Öppna ärendet hos {agency}"
        else:
            assert link is None
    assert times == sorted(times, reverse=True)


def test_case_page_shows_timeline_newest_first(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    home = _home(client)
    cases = demo_cases(OSTRON_AB, ["lansstyrelsen"])
    events = cases[("lansstyrelsen", "526-28417-2026")]  # shoreline protection exemption: 3 events
    assert len(events) == 3
    soup = _case_page(client, case_link(home, "strandskyddsdispens"))
    assert text_of(soup.select_one("h1")) == "Strandskyddsdispens"  # the case type's name in the catalog
    summary = soup.select_one(".case-summary")
    assert "badge--customer" in summary.select_one(".badge")["class"]
    facts = {text_of(d.select_one("dt")): text_of(d.select_one("dd")) for d in summary.select("dl > div")}
    assert facts["Myndighet"] == "Länsstyrelsen Västra Götaland"
    assert facts["Referens"] == "526-28417-2026"
    assert facts["Sista dag"] == demo_deadline("2026-12-08")
    _check_timeline(soup, events, "Länsstyrelsen Västra Götaland")
    # Times are shown in Swedish local time (the data has both local and offset forms).
    newest_first = sorted(events, key=event_time, reverse=True)
    assert [text_of(t) for t in soup.select("ol.timeline .timeline__meta time")] == [
        sv_moment(e["tidpunkt"]) for e in newest_first]
    # The deadline is repeated on the event that set it.
    first = soup.select("ol.timeline > li")[0]
    assert text_of(first.select_one(".timeline__deadline")) == f"Sista dag: {demo_deadline('2026-12-08')}"
    assert soup.select_one("p.back a")["href"] == "/"
    assert_page_structure(soup)


def test_every_case_page_of_the_company_matches_the_data(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    home = _home(client)
    cases = {ref: (slug, events) for (slug, ref), events in demo_cases(OSTRON_AB, ALL_AGENCIES).items()}
    cards = case_cards(home)
    assert len(cards) == len(cases)
    for card in cards:
        slug, events = cases[card_label(card)]
        soup = _case_page(client, card.select_one(".case-card__title a")["href"])
        _check_timeline(soup, events, card_fact(card, "Myndighet"))
        assert_page_structure(soup)


def test_case_of_another_customer_is_404(app, client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    href = case_link(_home(client), "strandskyddsdispens")
    assert client.get(href).status_code == 200

    sara = app.test_client()
    login(sara, SARA)
    r = sara.get(href)
    assert r.status_code == 404
    soup = page(r)
    assert text_of(soup.select_one("h1")) == "Sidan finns inte"
    assert "strandskydd" not in soup.get_text()
    assert_page_structure(soup)


def test_company_case_is_404_once_karin_acts_for_herself_again(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    home = _home(client)
    # Handles are re-issued at every switch (the session id rotates), so take it from the current page.
    own_handle = next(o["value"] for o in home.select("#party-select option") if "du själv" in o.get_text())
    href = case_link(home, "strandskyddsdispens")
    token = home.select_one('.party-form input[name="csrf_token"]')["value"]
    assert client.post("/act-as", data={"party": own_handle, "csrf_token": token}).status_code == 302
    assert client.get(href).status_code == 404


def test_unknown_case_handle_is_404(client):
    login(client, KARIN)
    for handle in ("0" * 20, "nonexistent", "..%2f..%2fetc"):
        r = client.get(f"/arende/{handle}")
        assert r.status_code == 404, handle
        assert_page_structure(page(r))


def _long_case(world, arende: str, count: int, *, first: int = 0, hours_back_from: int = 0) -> None:
    from notifytools import put_event, your_turn_event

    from portal.standard import clock

    now = clock.now().replace(microsecond=0)
    for i in range(first, first + count):
        event = your_turn_event(f"skv-long-{i}", arende, deadline_days=None)
        event["tidpunkt"] = (now - dt.timedelta(minutes=hours_back_from * 60 + (first + count - i))).isoformat()
        event["rubrik"] = f"Händelse nummer {i}"
        put_event(world, event)


def test_a_long_case_shows_its_latest_fifty_events_and_one_link_shows_them_all(make_private_app, private_world):
    arende = "131 777777-26/160"
    _long_case(private_world, arende, 60, hours_back_from=2)
    client = make_private_app(fresh_s=0).test_client()  # each page asks the agency again
    login(client, KARIN)
    card = next(c for c in case_cards(_home(client)) if card_fact(c, "Senast").startswith("Händelse nummer 59 "))
    href = card.select_one(".case-card__title a")["href"]

    soup = _case_page(client, href)
    titles = [text_of(producer_text(li.select_one(".timeline__title")))
              for li in soup.select("ol.timeline > li.timeline__item")]
    assert titles == [f"Händelse nummer {i}" for i in range(59, 9, -1)]  # the latest 50, newest first
    assert soup.select_one("ol.timeline")["start"] == "60"  # numbered as in the whole case
    assert text_of(soup.select_one(".timeline__count")) == "De senaste 50 av 60 händelser."
    more = soup.select_one(".timeline__more a")
    assert text_of(more) == "Visa alla 60 händelser"
    assert "alla=1" in more["href"] and more["href"].startswith(href)

    every = _case_page(client, more["href"])  # works without JavaScript: a plain link
    assert len(every.select("ol.timeline > li.timeline__item")) == 60
    assert every.select_one(".timeline__more") is None and every.select_one(".timeline__count") is None

    # New events further down than the latest 50 are never behind the link: the page shows down to the last one.
    _long_case(private_world, arende, 55, first=60)
    soup = _case_page(client, href)
    items = soup.select("ol.timeline > li.timeline__item")
    assert len(items) == 55 and all(li.select_one(".new-badge") for li in items)
    assert text_of(soup.select_one(".timeline__more a")) == "Visa alla 115 händelser"
