"""Situations through the web: the aquaculture pilot's steps for Bohusläns Ostron AB, and situations a customer defines.

Expected step states are derived from the demo data (``mock_producers/data/*.json``) and the steps in
``portal/demo.toml``, never typed in by hand.
"""

from __future__ import annotations

import datetime as _dt
import re

import pytest
from webtools import (
    EVA,
    KARIN,
    SARA,
    demo_day,
    demo_deadline,
    demo_type_name,
    act_as,
    assert_page_structure,
    ball_holder,
    csrf_token,
    as_answered,
    demo_cases,
    demo_events,
    event_time,
    login,
    page,
    text_of,
)

from portal.config import DEMO_CONFIG, load
from portal.case import case_handle, party_handle_key
from portal.standard.eventtypes import matches_any
from portal.standard.tidpunkt import parse as parse_time

OSTRON = "165590001235"  # Bohusläns Ostron AB (Karin Ström is its signatory)
KUSTBAGERIET = "165590002340"  # Eva Nyström has a Skatteverket-only mandate
SLUG = "/livssituationer/starta-vattenbruk"
ALL_SLUGS = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
             "livsmedelsverket", "lantmateriet")
AGENCY_NAMES = {p.slug: p.name for p in load(DEMO_CONFIG, {}, testing=True).producers}
AQUACULTURE = next(s for s in load(DEMO_CONFIG, {}, testing=True).situations if s.slug == "starta-vattenbruk")
STEPS = {s.key: s for s in AQUACULTURE.steps}
BADGE_SV = {"not_started": "Inte påbörjat", "handling": "Myndigheten handlägger", "your_turn": "Din tur",
            "done": "Klart"}
BADGE_EN = {"not_started": "Not started", "handling": "The agency is handling it", "your_turn": "Your turn",
            "done": "Done"}
NAME_ERROR_SV = "Ge livssituationen ett namn på 1 till 80 tecken."


# --- what the demo data says ----------------------------------------------------------------------


def party_cases(kund: str) -> dict[tuple[str, str], list[dict]]:
    """(slug, reference) -> events newest first, for every case of the customer in the demo data."""
    return demo_cases(kund, ALL_SLUGS)


def state_of(events_per_case: list[list[dict]]) -> str:
    holders = {ball_holder(events[0]) for events in events_per_case}
    if not holders:
        return "not_started"
    if "customer" in holders:
        return "your_turn"
    if "producer" in holders:
        return "handling"
    return "done"


def step_cases(key: str, cases) -> list[tuple[str, str]]:
    return [k for k, events in cases.items() if matches_any(events[0]["kundhandelseTyp"], STEPS[key].case_types)]


def children(key: str) -> list[str]:
    return [s.key for s in AQUACULTURE.steps if s.parent == key]


def expected_states(kund: str) -> dict[str, str]:
    """Every step's state: leaves from their cases; a parent from its own cases and its children
    (an optional child not started does not count)."""
    cases = party_cases(kund)
    out: dict[str, str] = {}
    for step in reversed(AQUACULTURE.steps):  # children come after their parent in the config
        kids = children(step.key)
        mine = step_cases(step.key, cases)
        if not kids:
            out[step.key] = state_of([cases[k] for k in mine])
            continue
        covered = {k for kid in kids for k in step_cases(kid, cases)}
        own = [k for k in mine if k not in covered]
        parts = [state_of([cases[k] for k in own])] if own else []
        parts += [out[kid] for kid in kids if not (STEPS[kid].optional and out[kid] == "not_started")]
        if "your_turn" in parts:
            out[step.key] = "your_turn"
        elif "handling" in parts:
            out[step.key] = "handling"
        elif parts and all(p == "done" for p in parts):
            out[step.key] = "done"
        elif "done" in parts:
            out[step.key] = "handling"
        else:
            out[step.key] = "not_started"
    return out


def leaves() -> list[str]:
    return [s.key for s in AQUACULTURE.steps if not children(s.key)]


def expected_next(states: dict[str, str]) -> str | None:
    waiting = [k for k in leaves() if states[k] == "your_turn"]
    if waiting:
        return waiting[0]
    return next((k for k in leaves() if states[k] == "not_started" and not STEPS[k].optional), None)


def situation_events(kund: str) -> list[tuple[str, dict]]:
    prefixes = AQUACULTURE.case_types + tuple(p for s in AQUACULTURE.steps for p in s.case_types)
    return [(slug, e) for slug in ALL_SLUGS for e in demo_events(slug, kund)
            if matches_any(e["kundhandelseTyp"], prefixes)]


# --- what the page says ----------------------------------------------------------------------------


def step_items(soup, locale: str = "sv") -> dict[str, object]:
    """step key -> its <li>, found by the step's name in ``locale``."""
    by_name = {s.name(locale): s.key for s in AQUACULTURE.steps}
    out = {}
    for li in soup.select("main li.step"):
        name_node = li.select_one(":scope > .step__head > .step__name")
        optional = name_node.select_one(".step__optional")
        name = text_of(name_node)
        if optional is not None:
            name = name[: -len(text_of(optional))].strip()
        out[by_name[name]] = li
    return out


def shown_state(li) -> str:
    states = [c[len("step--"):] for c in li["class"] if c.startswith("step--") and c != "step--next"]
    assert len(states) == 1, li["class"]
    return states[0]


def badge(li) -> str:
    return text_of(li.select_one(":scope > .step__head > .badge")).lstrip("!…✓○ ").strip()


def as_ostron(client):
    login(client, KARIN)
    response = act_as(client, "Bohusläns Ostron")
    assert response.status_code == 302
    return client


def token(client, path: str = "/livssituationer") -> str:
    return page(client.get(path)).select_one('main input[name="csrf_token"]')["value"]


def create(client, name: str, csrf: str | None = None):
    return client.post("/egna", data={"name": name, "csrf_token": csrf or token(client)})


def create_id(client, name: str) -> str:
    response = create(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"(?:http://localhost)?/egna/([A-Za-z0-9_-]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def addable(soup) -> dict[str, str]:
    """handle -> option label of the "Add a case" select."""
    return {o["value"]: text_of(o) for o in soup.select("#add-case option")}


def members(soup) -> list[str]:
    return [text_of(a) for a in soup.select("main .member-list > li > a")]


def member_handles(soup) -> list[str]:
    return [i["value"] for i in soup.select('main .member-list input[name="case"]')]


def timeline(soup) -> list[tuple[str, str, str]]:
    """(time as shown in datetime=, title, meta text) per timeline item, in page order."""
    return [(li.select_one("time")["datetime"], text_of(li.select_one(".timeline__title [lang]")),
             text_of(li.select_one(".timeline__meta"))) for li in soup.select("main .timeline__item")]


@pytest.fixture()
def ostron(client):
    return as_ostron(client)


# --- the configured situation: Starta vattenbruk ---------------------------------------------------


def test_the_aquaculture_page_shows_every_step_with_its_state_from_the_demo_data(ostron):
    response = ostron.get(SLUG)
    assert response.status_code == 200
    soup = page(response)
    assert_page_structure(soup)
    assert text_of(soup.select_one("main h1")) == "Starta vattenbruk"
    items = step_items(soup)
    expected = expected_states(OSTRON)
    assert set(items) == set(STEPS)  # all 15 steps, each once
    assert {k: shown_state(li) for k, li in items.items()} == expected
    assert {k: badge(li) for k, li in items.items()} == {k: BADGE_SV[v] for k, v in expected.items()}
    # Every state occurs in the demo: the page is not showing one state for everything.
    assert set(expected.values()) == set(BADGE_SV)


def test_the_strandskydd_step_is_your_turn_because_a_site_plan_is_asked_for(ostron):
    cases = party_cases(OSTRON)
    [key] = step_cases("strandskydd", cases)
    latest = cases[key][0]
    assert latest["producentarendetKraverKundatgard"] and "situationsplan" in latest["rubrik"].lower()
    li = step_items(page(ostron.get(SLUG)))["strandskydd"]
    assert shown_state(li) == "your_turn"
    assert badge(li) == "Din tur"


def test_steps_nest_under_their_parents_in_config_order(ostron):
    soup = page(ostron.get(SLUG))
    top = soup.select_one("main ol.steps")
    names = [text_of(li.select_one(":scope > .step__head > .step__name")) for li in top.select(":scope > li")]
    assert [n.split(" (")[0] for n in names] == [s.name_sv.split(" (")[0] for s in AQUACULTURE.steps if not s.parent]
    items = step_items(soup)
    for step in AQUACULTURE.steps:
        if step.parent:
            assert items[step.key].find_parent("li", class_="step") is items[step.parent], step.key
        name = text_of(items[step.key].select_one(".step__name"))
        assert name.count("(") <= 1, name  # never "(om du förädlar) (om det gäller dig)"
        if step.optional:
            assert "(om det gäller dig)" in name or "(" in step.name_sv, name


def test_each_step_lists_its_own_cases_by_name(ostron):
    """A step lists the cases no sub-step claims, named by their case type in the agency's catalog; a step with
    sub-steps still shows its own case (the aquaculture permit under "Tillstånd att bedriva vattenbruk")."""
    items = step_items(page(ostron.get(SLUG)))
    cases = party_cases(OSTRON)
    for step in AQUACULTURE.steps:
        covered = {k for kid in children(step.key) for k in step_cases(kid, cases)}
        own = [k for k in step_cases(step.key, cases) if k not in covered]
        shown = sorted(text_of(a) for a in items[step.key].select(":scope > .step__cases a"))
        assert shown == sorted(demo_type_name(k[0], cases[k][0]["kundhandelseTyp"]) for k in own), step.key
    assert [text_of(a) for a in items["tillstand"].select(":scope > .step__cases a")] == ["Tillstånd för vattenbruk"]
    for link in items["strandskydd"].select(".step__cases a"):
        assert ostron.get(link["href"]).status_code == 200  # the case page opens


def test_exactly_one_step_is_the_next_one(ostron):
    soup = page(ostron.get(SLUG))
    marked = soup.select("main li.step--next")
    assert len(marked) == 1
    assert len(soup.select("main .step__next")) == 1
    assert text_of(marked[0].select_one(":scope > .step__head > .step__next")) == "Nästa steg"
    items = step_items(soup)
    nxt = expected_next(expected_states(OSTRON))
    assert nxt == "strandskydd"  # the first step (in config order) waiting for the customer
    assert items[nxt] is marked[0]


def test_the_progress_line_counts_the_eight_required_steps(ostron):
    soup = page(ostron.get(SLUG))
    states = expected_states(OSTRON)
    top = [s.key for s in AQUACULTURE.steps if not s.parent and not s.optional]
    assert len(top) == 8
    done = sum(1 for k in top if states[k] == "done")
    assert text_of(soup.select_one("main .progress-line")) == f"{done} av 8 steg klara."
    listing = page(ostron.get("/livssituationer"))
    line = next(text_of(li) for li in listing.select("main .situation-list li")
                if text_of(li.select_one("a")) == "Starta vattenbruk")
    n = len({(slug, e["part"]["arende"]["identifierare"]) for slug, e in situation_events(OSTRON)})
    assert line == f"Starta vattenbruk – {n} ärenden, {done} av 8 steg klara"


def test_the_combined_timeline_holds_every_event_of_all_six_agencies_newest_first(ostron):
    soup = page(ostron.get(SLUG))
    shown = timeline(soup)
    events = situation_events(OSTRON)
    expected = sorted(events, key=lambda p: (event_time(p[1]), p[1]["kundhandelseId"]), reverse=True)
    assert len(shown) == len(expected)
    assert [parse_time(t) for t, _, _ in shown] == [event_time(e) for _, e in expected]
    assert [title for _, title, _ in shown] == [e["rubrik"] for _, e in expected]
    for (_, _, meta), (slug, _) in zip(shown, expected):
        assert AGENCY_NAMES[slug] in meta
    agencies = {slug for slug, _ in events}
    assert agencies == {"bolagsverket", "skatteverket", "lansstyrelsen", "tanum", "jordbruksverket",
                        "livsmedelsverket"}
    intro = text_of(soup.select_one("main section[aria-labelledby=timeline-heading] > p"))
    assert f"Började {demo_day('2025-06-10')}." in intro  # the AB's first event (Bolagsverket)
    assert "Klart " not in intro  # several cases are still open: no "Finished ..."
    for slug in agencies:
        assert AGENCY_NAMES[slug] in intro


def test_the_aquaculture_page_in_english(client):
    as_ostron(client)
    client.get("/sprak/en")
    soup = page(client.get(SLUG))
    assert soup.select_one("html")["lang"] == "en"
    assert text_of(soup.select_one("main h1")) == "Starting aquaculture"
    items = step_items(soup, "en")
    expected = expected_states(OSTRON)
    assert {k: badge(li) for k, li in items.items()} == {k: BADGE_EN[v] for k, v in expected.items()}
    assert text_of(soup.select_one("main .step__next")) == "Next step"
    assert re.fullmatch(r"\d of 8 steps done\.", text_of(soup.select_one("main .progress-line")))


def test_karin_herself_sees_her_own_steps(client):
    """Acting for herself: her sole-trader firm's statistics case (Jordbruksverket) makes the reporting step;
    the company's steps are not hers."""
    login(client, KARIN)
    soup = page(client.get(SLUG))
    items = step_items(soup)
    expected = expected_states(KARIN)
    assert {k: shown_state(li) for k, li in items.items()} == expected
    assert expected["rapportering"] == "your_turn"
    assert [k for k, li in items.items() if "step--next" in li["class"]] == ["rapportering"]
    assert text_of(soup.select_one("main .progress-line")) == "0 av 8 steg klara."


def test_someone_without_aquaculture_cases_sees_nothing_started(client):
    login(client, SARA)
    soup = page(client.get(SLUG))
    assert set(expected_states(SARA).values()) == {"not_started"}
    assert {k: shown_state(li) for k, li in step_items(soup).items()} == {k: "not_started" for k in STEPS}
    assert text_of(soup.select_one("main .progress-line")) == "0 av 8 steg klara."


def test_an_unknown_situation_is_404(ostron):
    assert ostron.get("/livssituationer/finns-inte").status_code == 404


def test_situation_pages_need_a_login(client):
    for path in ("/livssituationer", SLUG):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    anonymous = csrf_token(client)  # a valid token of the anonymous session
    response = client.post("/egna", data={"name": "x", "csrf_token": anonymous})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- situations the customer defines ---------------------------------------------------------------


def test_create_a_situation(ostron):
    situation_id = create_id(ostron, "  Flytta   verksamheten ")
    soup = page(ostron.get(f"/egna/{situation_id}"))
    assert_page_structure(soup)
    assert text_of(soup.select_one("main h1")) == "Flytta verksamheten"
    assert members(soup) == []
    assert len(addable(soup)) == len(party_cases(OSTRON))  # every case of the AB can be added
    listing = page(ostron.get("/livssituationer"))
    own = [text_of(li) for li in listing.select("main .situation-list li")
           if li.select_one("a")["href"] == f"/egna/{situation_id}"]
    assert own == ["Flytta verksamheten – 0 ärenden"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 81], ids=["empty", "spaces", "81-chars"])
def test_a_bad_name_is_refused_with_a_message(ostron, name):
    response = create(ostron, name)
    assert response.status_code == 400
    soup = page(response)
    assert text_of(soup.select_one("#situation-name-error")) == NAME_ERROR_SV
    assert soup.select_one("#situation-name")["aria-invalid"] == "true"
    assert "situation-name-error" in soup.select_one("#situation-name")["aria-describedby"]
    assert_page_structure(soup)
    listing = page(ostron.get("/livssituationer"))
    assert listing.select_one("#situation-name-error") is None
    assert "Du har inte skapat några egna livssituationer än." in text_of(listing.select_one("main"))


def test_a_name_of_80_characters_is_accepted(ostron):
    situation_id = create_id(ostron, "x" * 80)
    assert text_of(page(ostron.get(f"/egna/{situation_id}")).select_one("main h1")) == "x" * 80


def test_add_cases_and_see_them_with_the_combined_timeline(ostron):
    situation_id = create_id(ostron, "Flytta verksamheten")
    path = f"/egna/{situation_id}"
    options = addable(page(ostron.get(path)))
    lst = next(h for h, label in options.items() if "Strandskyddsdispens" in label)
    skv = next(h for h, label in options.items() if label.startswith("Moms –"))
    for handle in (lst, skv):
        response = ostron.post(f"{path}/arenden", data={"case": handle, "csrf_token": token(ostron, path)})
        assert response.status_code == 302 and response.headers["Location"].endswith(path)
    soup = page(ostron.get(path))
    assert member_handles(soup) == [lst, skv]
    assert lst not in addable(soup) and skv not in addable(soup)
    cases = party_cases(OSTRON)
    chosen = [k for k in cases if cases[k][0]["kundhandelseTyp"].startswith(("LST.STRANDSKYDD.", "SKV.MOMS."))]
    assert len(chosen) == 2
    expected = sorted((e for k in chosen for e in cases[k]), key=lambda e: (event_time(e), e["kundhandelseId"]),
                      reverse=True)
    assert [(parse_time(t), title) for t, title, _ in timeline(soup)] == [(event_time(e), e["rubrik"])
                                                                          for e in expected]
    # Adding the same case again changes nothing.
    ostron.post(f"{path}/arenden", data={"case": lst, "csrf_token": token(ostron, path)})
    assert member_handles(page(ostron.get(path))) == [lst, skv]
    listing = page(ostron.get("/livssituationer"))
    assert "Flytta verksamheten – 2 ärenden" in [text_of(li) for li in listing.select("main .situation-list li")]


def test_only_a_case_of_the_acting_party_can_be_added(ostron):
    situation_id = create_id(ostron, "Flytta verksamheten")
    path = f"/egna/{situation_id}"
    csrf = token(ostron, path)
    # Karin's own case (visible when she acts for herself) is not the AB's.
    act_as(ostron, "du själv")
    own_handles = addable(page(ostron.get(f"/egna/{create_id(ostron, 'Egen')}")))
    act_as(ostron, "Bohusläns Ostron")
    for forged in ["0" * 20, "not-a-handle", "", next(iter(own_handles))]:
        response = ostron.post(f"{path}/arenden", data={"case": forged, "csrf_token": csrf})
        assert response.status_code == 400, forged
    assert member_handles(page(ostron.get(path))) == []


def test_remove_a_case(ostron):
    situation_id = create_id(ostron, "Flytta verksamheten")
    path = f"/egna/{situation_id}"
    first, second = list(addable(page(ostron.get(path))))[:2]
    for handle in (first, second):
        ostron.post(f"{path}/arenden", data={"case": handle, "csrf_token": token(ostron, path)})
    response = ostron.post(f"{path}/arenden/ta-bort", data={"case": first, "csrf_token": token(ostron, path)})
    assert response.status_code == 302
    soup = page(ostron.get(path))
    assert member_handles(soup) == [second]
    assert first in addable(soup)
    # The case itself is untouched.
    assert ostron.get(f"/arende/{first}").status_code == 200


def test_rename(ostron):
    situation_id = create_id(ostron, "Flytta verksamheten")
    path = f"/egna/{situation_id}"
    response = ostron.post(f"{path}/namn", data={"name": " Flytta  till Göteborg ", "csrf_token": token(ostron, path)})
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    soup = page(ostron.get(path))
    assert text_of(soup.select_one("main h1")) == "Flytta till Göteborg"
    assert soup.select_one("#rename")["value"] == "Flytta till Göteborg"
    assert [text_of(n) for n in soup.select("main .notice")] == ["Livssituationen har bytt namn."]


def test_changing_a_situation_asks_no_agency(private_world, make_private_app):
    """A change to one's own situation (create, rename, add or remove a case, delete) is about the acting party's
    situation: no agency is asked, even when every cached answer is stale (fresh_s=0: each page asks again)."""
    def asked() -> int:  # queries the mock agencies answered so far (their request log)
        return private_world.output().count("/kundhandelseFragaSynkron")

    client = make_private_app(fresh_s=0).test_client()
    login(client, KARIN)
    path = f"/egna/{create_id(client, 'Flytta verksamheten')}"
    case = next(iter(addable(page(client.get(path)))))
    csrf = token(client, path)
    before = asked()
    assert before > 0  # the pages read above did ask: the count would show a change that asks
    changes = [(f"{path}/namn", {"name": "Flytta till Göteborg"}), (f"{path}/arenden", {"case": case}),
               (f"{path}/arenden/ta-bort", {"case": case}), ("/egna", {"name": "Ett till"}),
               (f"{path}/ta-bort", {})]
    for url, data in changes:
        response = client.post(url, data={**data, "csrf_token": csrf})
        assert response.status_code == 302, (url, response.status_code)
    assert asked() == before
    assert client.get(path).status_code == 404  # deleted: the changes were made


@pytest.mark.parametrize("name", ["", "x" * 81], ids=["empty", "81-chars"])
def test_a_bad_new_name_keeps_the_old_one_and_says_why(ostron, name):
    situation_id = create_id(ostron, "Flytta verksamheten")
    path = f"/egna/{situation_id}"
    response = ostron.post(f"{path}/namn", data={"name": name, "csrf_token": token(ostron, path)})
    assert response.status_code == 302
    soup = page(ostron.get(path))
    assert text_of(soup.select_one("main h1")) == "Flytta verksamheten"
    assert NAME_ERROR_SV in [text_of(n) for n in soup.select("main .notice--warning")]


def test_delete(ostron):
    situation_id = create_id(ostron, "Flytta verksamheten")
    path = f"/egna/{situation_id}"
    handle = next(iter(addable(page(ostron.get(path)))))
    ostron.post(f"{path}/arenden", data={"case": handle, "csrf_token": token(ostron, path)})
    response = ostron.post(f"{path}/ta-bort", data={"csrf_token": token(ostron, path)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/livssituationer")
    assert ostron.get(path).status_code == 404
    listing = page(ostron.get("/livssituationer"))
    assert not listing.select(f"main a[href='{path}']")
    assert ostron.get(f"/arende/{handle}").status_code == 200  # the case is not affected
    assert ostron.post(f"{path}/ta-bort", data={"csrf_token": token(ostron)}).status_code == 404


@pytest.mark.parametrize("action", ["create", "add", "remove", "rename", "delete"])
def test_every_change_needs_the_csrf_token(ostron, action):
    situation_id = create_id(ostron, "Flytta verksamheten")
    path = f"/egna/{situation_id}"
    handle = next(iter(addable(page(ostron.get(path)))))
    target, data = {
        "create": ("/egna", {"name": "Utan token"}),
        "add": (f"{path}/arenden", {"case": handle}),
        "remove": (f"{path}/arenden/ta-bort", {"case": handle}),
        "rename": (f"{path}/namn", {"name": "Utan token"}),
        "delete": (f"{path}/ta-bort", {}),
    }[action]
    assert ostron.post(target, data=data).status_code == 400
    assert ostron.post(target, data={**data, "csrf_token": "forged"}).status_code == 400
    soup = page(ostron.get(path))
    assert text_of(soup.select_one("main h1")) == "Flytta verksamheten"
    assert member_handles(soup) == []
    assert [text_of(a) for a in page(ostron.get("/livssituationer")).select("main a[href^='/egna/']")] == \
        ["Flytta verksamheten"]


def test_a_situation_of_the_ab_is_not_seen_when_acting_as_karin_herself(ostron):
    situation_id = create_id(ostron, "Bolagets flytt")
    path = f"/egna/{situation_id}"
    act_as(ostron, "du själv")
    assert "Bolagets flytt" not in text_of(page(ostron.get("/livssituationer")).select_one("main"))
    assert ostron.get(path).status_code == 404
    csrf = token(ostron)
    assert ostron.post(f"{path}/namn", data={"name": "Kapad", "csrf_token": csrf}).status_code == 404
    assert ostron.post(f"{path}/ta-bort", data={"csrf_token": csrf}).status_code == 404
    assert ostron.post(f"{path}/arenden", data={"case": "0" * 20, "csrf_token": csrf}).status_code == 404
    act_as(ostron, "Bohusläns Ostron")
    assert text_of(page(ostron.get(path)).select_one("main h1")) == "Bolagets flytt"


def test_a_situation_of_the_ab_is_not_seen_by_another_user(app):
    karin = as_ostron(app.test_client())
    situation_id = create_id(karin, "Bolagets flytt")
    path = f"/egna/{situation_id}"
    sara = app.test_client()
    login(sara, SARA)
    assert sara.get(path).status_code == 404
    assert "Bolagets flytt" not in text_of(page(sara.get("/livssituationer")).select_one("main"))
    csrf = token(sara)
    assert sara.post(f"{path}/namn", data={"name": "Kapad", "csrf_token": csrf}).status_code == 404
    assert sara.post(f"{path}/ta-bort", data={"csrf_token": csrf}).status_code == 404
    assert text_of(page(karin.get(path)).select_one("main h1")) == "Bolagets flytt"


def test_a_representative_sees_only_the_situations_they_made_and_the_signatory_sees_all(app):
    """Eva's mandate for the AB covers Skatteverket only: Karin's situation of the AB is not hers to see."""
    karin = as_ostron(app.test_client())
    karins = create_id(karin, "Moms och strand")
    eva = app.test_client()
    login(eva, EVA)
    act_as(eva, "Bohusläns Ostron")
    assert eva.get(f"/egna/{karins}").status_code == 404
    assert "Moms och strand" not in text_of(page(eva.get("/livssituationer")).select_one("main"))
    evas = create_id(eva, "Momsen")
    assert text_of(page(eva.get(f"/egna/{evas}")).select_one("main h1")) == "Momsen"
    # The signatory has full access to the AB: both situations are on Karin's list.
    listing = {a["href"] for a in page(karin.get("/livssituationer")).select("main .situation-list a")}
    assert {f"/egna/{karins}", f"/egna/{evas}"} <= listing


PRIVATE = "Privat: skilsmässa och skuldsanering"


def test_a_representative_cannot_see_or_change_the_grantors_own_situations(app):
    """Eva's mandate from Karin covers SKV.INKOMSTDEKLARATION: Karin's private situation is none of her business."""
    karin = app.test_client()
    login(karin, KARIN)
    situation_id = create_id(karin, PRIVATE)
    path = f"/egna/{situation_id}"
    handle = next(iter(addable(page(karin.get(path)))))
    assert karin.post(f"{path}/arenden", data={"case": handle, "csrf_token": token(karin, path)}).status_code == 302

    eva = app.test_client()
    login(eva, EVA)
    assert act_as(eva, "Karin Ström").status_code == 302
    assert PRIVATE not in page(eva.get("/livssituationer")).get_text()
    assert eva.get(path).status_code == 404
    csrf = token(eva)
    for action, data in (("/namn", {"name": "Kapad"}), ("/arenden/ta-bort", {"case": handle}),
                         ("/arenden", {"case": handle}), ("/ta-bort", {})):
        assert eva.post(path + action, data={**data, "csrf_token": csrf}).status_code == 404, action
    soup = page(karin.get(path))
    assert text_of(soup.select_one("main h1")) == PRIVATE
    assert member_handles(soup) == [handle]


def test_every_change_to_a_situation_is_in_the_audit_log(app):
    karin = app.test_client()
    login(karin, KARIN)
    situation_id = create_id(karin, "Flytten")
    path = f"/egna/{situation_id}"
    handle = next(iter(addable(page(karin.get(path)))))
    for action, data in (("/namn", {"name": "Flytten 2"}), ("/arenden", {"case": handle}),
                         ("/arenden/ta-bort", {"case": handle}), ("/ta-bort", {})):
        assert karin.post(path + action, data={**data, "csrf_token": token(karin, path)}).status_code == 302
    rows = [[text_of(td) for td in tr.select("td")] for tr in page(karin.get("/vem-har-tittat")).select("tbody tr")]
    changes = ["Tog bort en livssituation", "Tog bort ett ärende ur en livssituation",
               "Lade till ett ärende i en livssituation", "Döpte om en livssituation",
               "Skapade en egen livssituation"]  # newest first
    assert [what for _when, _who, _basis, what in rows if what in changes] == changes


def test_eva_for_kustbageriet_cannot_add_a_bolagsverket_case_she_cannot_see(app, client):
    login(client, EVA)
    act_as(client, "Kustbageriet")
    situation_id = create_id(client, "Bageriets ärenden")
    path = f"/egna/{situation_id}"
    options = addable(page(client.get(path)))
    assert options and all(label.endswith("– Skatteverket") for label in options.values())
    handle_key = party_handle_key(app.secret_key, KUSTBAGERIET)

    def handle(slug: str, e: dict) -> str:  # the case key as the portal computes it from a real answer
        return case_handle(slug, as_answered(e, KUSTBAGERIET).case_key, handle_key)

    # The handles are computed as the portal does: a visible Skatteverket case's handle is in the list ...
    skv = {handle("skatteverket", e) for e in demo_events("skatteverket", KUSTBAGERIET)}
    assert skv == set(options)
    # ... and Kustbageriet's Bolagsverket case, outside Eva's mandate, cannot be added.
    bv = {handle("bolagsverket", e) for e in demo_events("bolagsverket", KUSTBAGERIET)}
    assert bv
    for forbidden in bv:
        response = client.post(f"{path}/arenden", data={"case": forbidden, "csrf_token": token(client, path)})
        assert response.status_code == 400
    assert member_handles(page(client.get(path))) == []


def test_two_cases_of_the_same_name_are_told_apart_in_the_steps_and_the_timeline(client):
    """Karin's firm has two statistics cases at Jordbruksverket: wherever a situation links to a case, each link
    says which it is (the start day), as the overview's cards do, and leads to that case."""
    login(client, KARIN)
    overview = {a["href"]: text_of(a) for a in page(client.get("/")).select("main .case-card__title a")}
    soup = page(client.get(SLUG))
    steps = {a["href"]: text_of(a) for a in soup.select("main .step__cases a")}
    twins = [href for href, label in steps.items() if label.startswith("Statistik om vattenbruk")]
    assert len(twins) == 2
    assert len({steps[h] for h in twins}) == 2, [steps[h] for h in twins]
    for href in twins:
        assert re.fullmatch(r"Statistik om vattenbruk \(påbörjat .+\)", steps[href]), steps[href]
        assert steps[href] == overview[href]
    in_timeline = {a["href"]: text_of(a) for a in soup.select("main .timeline__item a")}
    assert {in_timeline[h] for h in twins} == {"Ärendet: " + steps[h] for h in twins}


# --- statements per page ----------------------------------------------------------------------------


def _strandskydd_case(n: int) -> dict:
    """A new strandskydd case of the AB's at Länsstyrelsen, with its own diarienummer."""
    from portal.standard import clock

    arende = f"526-{90000 + n}-2026"
    return {
        "kundhandelseId": f"lst-statements-{n}",
        "part": {"kund": {"identifierare": OSTRON, "typ": "Organisationsnummer"},
                 "arende": {"identifierare": arende, "typ": "Diarienummer"}},
        "rubrik": f"Ansökan om strandskyddsdispens {n} har kommit in", "sprak": "sv",
        "producent": "Länsstyrelsen Västra Götaland",
        "tidpunkt": (clock.now().replace(microsecond=0) - _dt.timedelta(hours=n + 1)).isoformat(),
        "kundhandelseTyp": "LST.STRANDSKYDD.MOTTAGEN",
        "producentarendetKraverKundatgard": False, "producentarendetKlart": False, "version": "6.1",
        "referenser": {"diarienummer": arende},
    }


def _statements_of_a_warm_situation_page(make_private_app, database: str):
    """(statements the portal sent its database, timeline items) for the aquaculture page read a second time
    (the first asked the agencies; the second is from the cache)."""
    from sqlalchemy import event

    from portal.store.database import engine

    client = as_ostron(make_private_app(database=database).test_client())
    assert client.get(SLUG).status_code == 200
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        sent.append(statement)

    target = engine(database)
    event.listen(target, "before_cursor_execute", count)
    try:
        response = client.get(SLUG)
    finally:
        event.remove(target, "before_cursor_execute", count)
    assert response.status_code == 200
    return sent, timeline(page(response))


def test_a_situation_page_reads_its_cases_events_in_a_bounded_number_of_statements(tmp_path, private_world,
                                                                                  make_private_app):
    """On a database server each statement is a round trip: a situation page reads the events of all its cases
    together, so twelve more cases cost the page no more statements, and every one of them is shown."""
    from testdb import test_database

    before, shown_before = _statements_of_a_warm_situation_page(make_private_app, test_database(tmp_path, "before"))
    assert len(shown_before) == len(situation_events(OSTRON))
    for n in range(12):
        r = private_world.admin("PUT", "/producers/lansstyrelsen/events", _strandskydd_case(n))
        assert r.status_code == 200, r.text
    after, shown_after = _statements_of_a_warm_situation_page(make_private_app, test_database(tmp_path, "after"))
    assert len(after) == len(before), "\n".join(after)
    assert len(shown_after) == len(shown_before) + 12
    assert {title for _, title, _ in shown_after} - {title for _, title, _ in shown_before} == {
        f"Ansökan om strandskyddsdispens {n} har kommit in" for n in range(12)}
