"""The overview: "your turn" first, then situations, then the rest; and the language switch."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from webtools import (card_label, demo_deadline, KARIN, act_as, assert_page_structure, ball_holder, card_fact, case_cards, case_refs,
                      demo_cases, demo_day, demo_doc, demo_events, demo_type_name, login, page, producer_text, text_of)

ALL_AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                "livsmedelsverket", "lantmateriet")
OSTRON_AB = "165590001235"
AQUACULTURE_PREFIXES = ("BV.AKTIEBOLAG", "SKV.FSKATT", "SKV.MOMS", "LST.STRANDSKYDD", "LST.VATTENVERKSAMHET",
                        "TANUM.MILJOFARLIG", "LST.VATTENBRUK", "LST.UTSATTNING", "SJV.VATTENBRUKSANLAGGNING",
                        "LST.PRIMARPRODUKTION", "TANUM.LIVSMEDELSANLAGGNING", "SLV.RENINGSANLAGGNING",
                        "SJV.STATISTIK")


def _aquaculture(typ: str) -> bool:
    return any(typ == p or typ.startswith(p + ".") for p in AQUACULTURE_PREFIXES)


def _home(client):
    r = client.get("/")
    assert r.status_code == 200
    return page(r)


def _section_by_heading(soup, heading_id: str):
    heading = soup.select_one(f"main section > h2#{heading_id}")
    assert heading is not None, [h.get("id") for h in soup.select("main h2")]
    return heading.parent


def test_your_turn_lists_waiting_cases_earliest_deadline_first(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    soup = _home(client)
    section = soup.select_one("main section.section--your-turn")
    assert section is not None
    heading = section.select_one("h2#your-turn-heading")
    assert text_of(heading).startswith("Din tur")
    cards = section.select(".case-card")

    waiting = {key: events for key, events in demo_cases(OSTRON_AB, ALL_AGENCIES).items()
               if ball_holder(events[0]) == "customer"}
    assert len(waiting) >= 3
    expected = sorted(waiting.items(), key=lambda kv: kv[1][0]["utokadInformation"]["senastDatum"])
    assert [card_label(c) for c in cards] == [ref for (_, ref), _ in expected]
    assert text_of(heading) == f"Din tur ({len(expected)})"

    deadlines = [c.select_one(".case-card__deadline time")["datetime"] for c in cards]
    assert deadlines == [events[0]["utokadInformation"]["senastDatum"] for _, events in expected]
    assert deadlines == sorted(deadlines)
    for card in cards:
        assert text_of(card.select_one(".badge")).endswith("Din tur")
        assert "badge--customer" in card.select_one(".badge")["class"]
    # A case listed under "your turn" is not repeated further down.
    rest = [card_label(c) for c in case_cards(soup) if c.find_parent("section") is not section]
    assert not set(rest) & {ref for (_, ref), _ in expected}


def test_your_turn_for_karin_herself(client):
    login(client, KARIN)
    soup = _home(client)
    cards = soup.select("main section.section--your-turn .case-card")
    # Jordbruksverket's statistics case has no diarienummer in referenser: the card names it by its type.
    assert [card_label(c) for c in cards] == [next(label for (slug, label), events in demo_cases(
        KARIN, ["jordbruksverket"]).items() if label.startswith("Statistik om vattenbruk") and ball_holder(events[0]) == "customer")]
    assert card_fact(cards[0], "Referens") is None
    assert card_fact(cards[0], "Sista dag") == demo_deadline("2027-03-15")
    assert card_fact(cards[0], "Myndighet") == "Jordbruksverket"


def test_no_your_turn_section_without_waiting_cases(client):
    login(client, "196601013458")  # Eva: nothing waits for her
    soup = _home(client)
    assert soup.select("main section.section--your-turn") == []
    assert case_cards(soup)


def test_situation_groups_aquaculture_cases_for_the_company(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    soup = _home(client)
    section = _section_by_heading(soup, "situation-starta-vattenbruk")
    heading = text_of(section.select_one("h2"))
    cases = demo_cases(OSTRON_AB, ALL_AGENCIES)
    grouped = {ref for (_, ref), events in cases.items()
               if ball_holder(events[0]) != "customer" and _aquaculture(events[0]["kundhandelseTyp"])}
    assert len(grouped) >= 5
    assert case_refs(soup, "main section[aria-labelledby='situation-starta-vattenbruk']") == grouped
    assert heading == f"Starta vattenbruk ({len(grouped)})"
    agencies = {card_fact(c, "Myndighet") for c in section.select(".case-card")}
    assert {"Skatteverket", "Bolagsverket", "Länsstyrelsen Västra Götaland", "Jordbruksverket",
            "Tanums kommun"} <= agencies
    # Every company case is an aquaculture step: nothing is left for "other cases".
    assert soup.select("main h2#other-heading") == []
    # Sections come in order: your turn, then the situation.
    ids = [h["id"] for h in soup.select("main section > h2")]
    assert ids.index("your-turn-heading") < ids.index("situation-starta-vattenbruk")


def test_situation_and_other_cases_for_karin_herself(client):
    login(client, KARIN)
    soup = _home(client)
    situation = _section_by_heading(soup, "situation-starta-vattenbruk")
    assert [card_label(c) for c in situation.select(".case-card")] == [next(label for (slug, label), events in demo_cases(KARIN, ["jordbruksverket"]).items()
                 if label.startswith("Statistik om vattenbruk") and ball_holder(events[0]) == "closed")]
    other = _section_by_heading(soup, "other-heading")
    assert text_of(other.select_one("h2")).startswith("Övriga ärenden")
    assert {card_fact(c, "Myndighet") for c in other.select(".case-card")} == {"Skatteverket", "Jordbruksverket"}


def test_case_cards_show_latest_event_and_newest_activity_first(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    soup = _home(client)
    cases = {ref: (slug, events) for (slug, ref), events in demo_cases(OSTRON_AB, ALL_AGENCIES).items()}
    section = _section_by_heading(soup, "situation-starta-vattenbruk")
    times = []
    for card in section.select(".case-card"):
        slug, events = cases[card_label(card)]
        title = text_of(card.select_one(".case-card__title a > [lang]"))  # what it is: the type's catalog name
        assert title == demo_type_name(slug, events[0]["kundhandelseTyp"])
        latest = card.select(".case-card__facts > div")[1]
        assert text_of(latest.select_one("span[lang]")) == events[0]["rubrik"]
        times.append(dt.datetime.fromisoformat(latest.select_one("time")["datetime"]))
    assert times == sorted(times, reverse=True)


def test_english_ui(client):
    login(client, KARIN)
    r = client.get("/sprak/en")
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/"
    soup = _home(client)
    assert soup.select_one("html")["lang"] == "en"
    assert text_of(soup.select_one("h1")) == "Your cases"
    assert text_of(soup.select_one("h2#your-turn-heading")).startswith("Your turn")
    assert text_of(soup.select_one("#status-heading")) == "Agencies"
    assert text_of(soup.select_one("h2#situation-starta-vattenbruk")).startswith("Starting aquaculture")
    assert text_of(soup.select_one('header form[action="/logout"] button')) == "Log out"
    language_link = soup.select_one("header a[hreflang]")
    assert text_of(language_link) == "Svenska" and language_link["lang"] == "sv"
    assert_page_structure(soup)


def test_english_choice_made_before_login_is_kept(client):
    client.get("/sprak/en")
    login_page = page(client.get("/login"))
    assert login_page.select_one("html")["lang"] == "en"
    assert text_of(login_page.select_one("h1")) == "Log in"
    login(client, KARIN)
    assert _home(client).select_one("html")["lang"] == "en"


def test_back_to_swedish(client):
    login(client, KARIN)
    client.get("/sprak/en")
    client.get("/sprak/sv")
    soup = _home(client)
    assert soup.select_one("html")["lang"] == "sv"
    assert text_of(soup.select_one("h1")) == "Dina ärenden"


def test_unknown_language_is_404(client):
    assert client.get("/sprak/de").status_code == 404


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_language_link_never_redirects_off_site(client, target):
    r = client.get("/sprak/en", query_string={"next": target})
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == "/"


def test_language_link_returns_to_the_page(client):
    login(client, KARIN)
    soup = _home(client)
    link = soup.select_one("header a[hreflang='en']")["href"]
    r = client.get(link)
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/"


def test_producer_texts_keep_their_language(client):
    """In English, Skatteverket sends English texts (lang="en"); Jordbruksverket has none and stays Swedish. The
    case titles are the catalogs' English names of the case types."""
    login(client, KARIN)
    client.get("/sprak/en")
    soup = _home(client)
    translations = demo_doc("skatteverket")["oversattningar"]
    slug_of = {"Skatteverket": "skatteverket", "Jordbruksverket": "jordbruksverket"}
    names = {slug: {demo_type_name(slug, events[0]["kundhandelseTyp"], "en") for (s, _), events in
                    demo_cases(KARIN, ALL_AGENCIES).items() if s == slug} for slug in slug_of.values()}
    latest_texts = {e["rubrik"] for slug in slug_of.values() for e in demo_events(slug, KARIN)}
    latest_texts |= {t["en"]["rubrik"] for t in translations.values() if "en" in t}
    seen = set()
    for card in case_cards(soup):
        slug = slug_of[card_fact(card, "Agency")]
        title = card.select_one(".case-card__title a > [lang]")
        latest = card.select_one(".case-card__facts span[lang]")
        assert title["lang"] == "en" and text_of(title) in names[slug]
        assert latest["lang"] == ("en" if slug == "skatteverket" else "sv")
        assert text_of(latest) in latest_texts
        seen.add(slug)
    assert seen == {"skatteverket", "jordbruksverket"}
    # The case page marks the language of every producer text, too.
    href = next(card.select_one(".case-card__title a")["href"] for card in case_cards(soup)
                if card_fact(card, "Agency") == "Jordbruksverket")
    case = page(client.get(href))
    assert case.select_one("h1")["lang"] == "en"  # the catalog's English name of the case type
    for node in case.select(".timeline__title"):
        assert producer_text(node)["lang"] == "sv"
    for node in case.select(".timeline__text"):
        assert node["lang"] == "sv"


def test_heading_names_the_party_when_acting_for_another(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    soup = _home(client)
    assert soup.select_one("html")["lang"] == "sv"
    assert text_of(soup.select_one("h1")) == "Ärenden för Bohusläns Ostron AB"
    client.get("/sprak/en")
    assert text_of(_home(client).select_one("h1")) == "Cases of Bohusläns Ostron AB"
