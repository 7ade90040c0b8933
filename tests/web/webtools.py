"""Helpers and constants for the web tests (imported as ``webtools``; fixtures live in conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal import create_app
from testconfig import build, portal_doc
from testdb import test_database

KARIN = "198504124564"  # aquaculture founder: an AB, a sole-trader firm
SARA = "199206202344"  # new parent
JOHAN = "197803157895"  # house builder
EVA = "196601013458"  # accountant with mandates
OLLE = "199511115678"  # no events at all
ALI = "199106613343"  # samordningsnummer


def portal_config(tmp_path: Path, mock_url: str, **settings):
    """The demo config, pointed at a running mock world, with the test database (``testdb``) in tmp_path.

    The page waits up to 10 s for the agencies (the demo: 0.25 s), so that what a test sees does not depend
    on how busy the machine is; a test of slow agencies sets ``page_deadline_s`` and holds their answers.
    """
    settings = {"page_deadline_s": 10.0} | settings
    database = settings.pop("database", None) or test_database(tmp_path)
    return build(portal_doc(mock_url, database, settings=settings))


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_token(client, path="/login") -> str:
    soup = page(client.get(path))
    return soup.select_one('input[name="csrf_token"]')["value"]


def login(client, pnr: str):
    token = csrf_token(client)
    response = client.post("/login", data={"personnummer": pnr, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def act_as(client, name_pattern: str):
    """Switch to the party whose option label matches ``name_pattern``; returns the response."""
    soup = page(client.get("/"))
    option = next(o for o in soup.select("#party-select option") if re.search(name_pattern, o.get_text()))
    token = soup.select_one('.party-form input[name="csrf_token"]')["value"]
    return client.post("/act-as", data={"party": option["value"], "csrf_token": token})


# --- Added for the web suite: private mock worlds, demo data and page helpers -------------------------------

import datetime as _dt
import json as _json

from mockworld import MockWorld
from pagecheck import structure_problems

from mock_producers.dates import shift_days as _shift_days
from mock_producers.dates import shift_event as _shift_event
from portal.standard.identity import InvalidIdentity as _InvalidIdentity
from portal.standard.identity import parse_organisation as _parse_organisation
from portal.standard.identity import parse_person as _parse_person
from portal.standard.models import Event as _Event
from portal.standard.models import Part as _Part
from portal.standard.tidpunkt import parse as _parse_tidpunkt

DATA = Path(__file__).resolve().parents[2] / "mock_producers" / "data"


def set_fault(world, slug: str, **knob):
    r = world.admin("PUT", f"/faults/{slug}", knob)
    assert r.status_code == 200, r.text
    return r


def demo_doc(slug: str) -> dict:
    """A demo data file as the mock world serves it today: its dates moved by the same rule (``dates.py``)."""
    doc = demo_doc_raw(slug)
    days = _shift_days(doc)
    if "kundhandelser" in doc:
        doc["kundhandelser"] = [_shift_event(e, days) for e in doc["kundhandelser"]]
    return doc


def demo_day(written: str) -> str:
    """A date as written in the demo data, shown as the portal shows it in Swedish ("8 dec. 2026"), today."""
    from babel.dates import format_date
    from mock_producers.dates import shift_value
    moved = shift_value(written, _shift_days(demo_doc_raw("skatteverket")))
    return format_date(_dt.date.fromisoformat(moved), "medium", locale="sv")


def demo_deadline(written: str) -> str:
    """A deadline as written in the demo data, as the portal shows it in Swedish: "8 dec. 2026 (om 6 dagar)"."""
    from mock_producers.dates import shift_value
    from portal.standard import clock
    days = (_dt.date.fromisoformat(shift_value(written, _shift_days(demo_doc_raw("skatteverket")))) - clock.today()).days
    if days == 0:
        relative = "i dag"
    elif days > 0:
        relative = f"om {days} {'dag' if days == 1 else 'dagar'}"
    else:
        relative = f"{-days} {'dag' if days == -1 else 'dagar'} sedan"
    return f"{demo_day(written)} ({relative})"


def sv_moment(tidpunkt: str) -> str:
    """A tidpunkt as the portal shows it in Swedish, in Swedish local time ("10 nov. 2026 11:00")."""
    from babel.dates import format_date, format_time
    from portal.standard.tidpunkt import STOCKHOLM
    local = _parse_tidpunkt(tidpunkt).astimezone(STOCKHOLM)
    return f"{format_date(local.date(), 'medium', locale='sv')} {format_time(local.time(), 'short', locale='sv')}"


def demo_doc_raw(slug: str) -> dict:
    """A demo data file as written (its dates not moved)."""
    return _json.loads((DATA / f"{slug}.json").read_text(encoding="utf-8"))


def demo_events(slug: str, kund: str | None = None, prefix: str | None = None) -> list[dict]:
    """The demo events of one producer file, optionally only one customer's and one type prefix's."""
    out = []
    for e in demo_doc(slug)["kundhandelser"]:
        if kund is not None and e["part"].get("kund", {}).get("identifierare") != kund:
            continue
        if prefix is not None and not (e["kundhandelseTyp"] == prefix or e["kundhandelseTyp"].startswith(prefix + ".")):
            continue
        out.append(e)
    return out


def demo_refs(kund: str, slugs, prefix: str | None = None, without: frozenset[str] = frozenset(),
              catalogued: bool = True) -> set[str]:
    """How the page names each of a customer's demo cases (``case_label``): its reference, else its title.
    ``without``: event ids the agency no longer sends; ``catalogued=False``: the agency publishes no catalog."""
    return {label for _, label in demo_cases(kund, slugs, prefix, without, catalogued)}


def as_answered(e: dict, kund: str) -> _Event:
    """A demo event as the portal reads it from an answer: no part of its own (the group's is the customer's)."""
    raw = {k: v for k, v in e.items() if k not in ("part", "taggar")}
    return _Event.from_json(raw, _Part.from_json({"kund": {"identifierare": kund, "typ": e["part"]["kund"]["typ"]}}))


def event_time(e: dict) -> _dt.datetime:
    return _parse_tidpunkt(e["tidpunkt"])


def main(soup):
    return soup.select_one("main")


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split()) if node is not None else ""


def case_cards(soup, scope: str = "main"):
    return soup.select(f"{scope} .case-card")


def card_fact(card, label: str) -> str | None:
    """The value of a fact (``Myndighet``, ``Referens``, ``Senast`` ...) on a case card."""
    for div in card.select(".case-card__facts > div"):
        if text_of(div.select_one("dt")) == label:
            return text_of(div.select_one("dd"))
    return None


def card_label(card) -> str:
    """What names a case on its card: the reference, else (answers carry no case id) the title (the case type's
    name in the catalog, with the day it started when another case has that name too)."""
    return card_fact(card, "Referens") or text_of(card.select_one(".case-card__title a"))


def case_refs(soup, scope: str = "main") -> set[str]:
    """The labels (``card_label``) of the cases listed on a page."""
    return {card_label(c) for c in case_cards(soup, scope)}


def case_agencies(soup, scope: str = "main") -> set[str]:
    return {card_fact(c, "Myndighet") for c in case_cards(soup, scope)}


def case_titles(soup, scope: str = "main") -> list[str]:
    return [text_of(a) for a in soup.select(f"{scope} .case-card__title a")]


def notices(soup) -> list[str]:
    return [text_of(n) for n in soup.select("main .notice, .party-bar .notice")]


def status_items(soup) -> dict[str, str]:
    """The agencies' status list: producer slug -> what the line says."""
    return {li["data-producer"]: text_of(li) for li in soup.select(".status-list__item")}


def party_name(soup) -> str:
    return text_of(soup.select_one(".party-bar__name"))


def switcher_options(soup) -> list[str]:
    """Each option's "name – basis", without its counts (see ``switcher_counts``)."""
    return [text_of(o).split(": ")[0] for o in soup.select("#party-select option")]


def switcher_counts(soup) -> dict[str, str]:
    """Party name -> the counts its option says ("2 väntar på dig, 1 ny"; "" when it says none)."""
    out = {}
    for o in soup.select("#party-select option"):
        label, _sep, counts = text_of(o).partition(": ")
        out[label.split(" – ")[0]] = counts
    return out


def case_link(soup, title_pattern: str) -> str:
    """The href of the case card whose title matches ``title_pattern``."""
    links = [a["href"] for a in soup.select("main .case-card__title a")
             if re.search(title_pattern, a.get_text(), re.IGNORECASE)]
    assert len(links) == 1, (title_pattern, case_titles(soup))
    return links[0]


def assert_page_structure(soup):
    """The structure rules of pagecheck.py, for a page already parsed (the test clients check every answer)."""
    assert not structure_problems(str(soup)), structure_problems(str(soup))


def known_identity_numbers() -> set[str]:
    """Every identity number in the demo data, in the forms it could be written (12, 10 digits, with a dash)."""
    numbers: set[str] = set()
    for row in _json.loads((DATA / "_identiteter.json").read_text(encoding="utf-8"))["identiteter"]:
        numbers.add(row["pnr"])
    registry = _json.loads((DATA / "minaombud.json").read_text(encoding="utf-8"))
    for f in registry["fullmakter"]:
        for who in [f["fullmaktsgivare"], *f["fullmaktshavare"]]:
            numbers.add(who["id"] if len(who["id"]) == 12 else "16" + who["id"])
    for s in registry["firmatecknare"]:
        numbers.update({s["pnr"], "16" + s["orgnr"]})
    for slug in ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
                 "livsmedelsverket", "lantmateriet"):
        for e in demo_events(slug):
            numbers.add(e["part"]["kund"]["identifierare"])
    forms = set()
    for n in numbers:
        short = n[2:]  # 10 digits: YYMMDDNNNN for persons, the bare orgnr for companies
        forms.update({n, short, f"{n[:8]}-{n[8:]}", f"{short[:6]}-{short[6:]}"})
    return forms


_DIGIT_RUN = re.compile(r"(?<!\d)(\d{12}|\d{10})(?!\d)")


def identity_numbers_in(text: str) -> list[str]:
    """Known demo identity numbers in ``text``, plus any bare 10- or 12-digit run that is a valid identity number."""
    found = [n for n in known_identity_numbers() if n in text]
    for run in _DIGIT_RUN.findall(text):
        for parse in (_parse_person, _parse_organisation):
            try:
                parse(run)
            except (_InvalidIdentity, ValueError):
                continue
            found.append(run)
            break
    return found


def urls_on(soup) -> list[str]:
    return [t["href"] for t in soup.select("[href]")] + [t["action"] for t in soup.select("[action]")] + \
        [t["src"] for t in soup.select("[src]")]


def demo_cases(kund: str, slugs, prefix: str | None = None, without: frozenset[str] = frozenset(),
               catalogued: bool = True) -> dict[tuple[str, str], list[dict]]:
    """The demo data's cases for a customer, grouped as the portal groups real answers (``Event.case_key``):
    (producer slug, label) -> its events, newest first. The label is what names the case on the page
    (``card_label``): the reference, else the case type's catalog name (with its start day when another case
    has that name too), else its first event's rubrik."""
    grouped: dict[tuple[str, str], list[dict]] = {}
    for slug in slugs:
        for e in demo_events(slug, kund, prefix):
            if e["kundhandelseId"] in without:
                continue
            grouped.setdefault((slug, as_answered(e, kund).case_key), []).append(e)
    cases: dict[tuple[str, str], list[dict]] = {}
    labels = {}
    for (slug, key), events in grouped.items():
        events.sort(key=lambda e: (event_time(e), e["kundhandelseId"]), reverse=True)
        labels[(slug, key)] = as_answered(events[0], kund).reference or (
            catalogued and demo_type_name(slug, events[0]["kundhandelseTyp"])) or events[-1]["rubrik"]
    for (slug, key), events in grouped.items():
        label = labels[(slug, key)]
        if list(labels.values()).count(label) > 1 and not as_answered(events[0], kund).reference:
            label += f" (påbörjat {demo_day_of(event_time(events[-1]))})"  # as the page tells two of a kind apart
        cases.setdefault((slug, label), []).extend(events)
    return cases


def demo_day_of(moment: _dt.datetime) -> str:
    from babel.dates import format_date
    from portal.standard.tidpunkt import STOCKHOLM
    return format_date(moment.astimezone(STOCKHOLM).date(), "medium", locale="sv")


def demo_type_name(slug: str, event_type: str, lang: str = "sv") -> str | None:
    """The name the demo catalog of ``slug`` gives an event type's case type (most specific level), if any."""
    names = {t["kod"]: t["namn"] for t in demo_doc_raw(slug).get("katalog", {}).get("arendetyper", [])}
    parts = event_type.split(".")[:-1]
    for end in range(len(parts), 1, -1):
        found = names.get(".".join(parts[:end]))
        if found:
            return found.get(lang) or found.get("sv")
    return None


def ball_holder(e: dict) -> str:
    """Who has the ball after this event: closed, customer or producer (the standard's rule)."""
    if e["producentarendetKlart"]:
        return "closed"
    return "customer" if e["producentarendetKraverKundatgard"] else "producer"


def producer_text(node):
    """The producer's own text in a title element, which may also hold a portal badge ("new")."""
    if node is None or node.has_attr("lang"):
        return node
    return node.select_one("[lang]")


def timeline_titles(soup) -> list[str]:
    return [text_of(producer_text(t)) for t in soup.select(".timeline__title")]
