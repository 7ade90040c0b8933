"""The catalog page: every producer's catalog (our extension endpoint), gathered, nested, searchable and cached.

What each producer publishes is read from its demo data file (``mock_producers/data/<slug>.json``, key ``katalog``).
"""

from __future__ import annotations

import dataclasses
import socket

import pytest
from webtools import (
    JOHAN,
    KARIN,
    assert_page_structure,
    demo_doc,
    demo_events,
    login,
    page,
    portal_config,
    text_of,
)

from portal import create_app
from portal.config import DEMO_CONFIG, load

PRODUCERS = load(DEMO_CONFIG, {}, testing=True).producers
NAMES = {p.slug: p.name for p in PRODUCERS}
WITH_CATALOG = [p.slug for p in PRODUCERS if demo_doc(p.slug).get("katalog")]
WITHOUT_CATALOG = [p.slug for p in PRODUCERS if not demo_doc(p.slug).get("katalog")]
NO_CATALOG_SV = "Myndigheten publicerar ingen katalog. Dess händelser visas med sina koder."


def catalog(slug: str) -> dict:
    return demo_doc(slug)["katalog"]


def section(soup, slug: str):
    node = soup.select_one(f"main section[aria-labelledby='catalog-{slug}']")
    assert node is not None, slug
    return node


def case_type_items(node) -> dict[str, object]:
    """case-type code -> its <li> in the tree."""
    return {text_of(li.select_one(":scope > details.for-developers .catalog-code")): li
            for li in node.select("li") if li.select_one(":scope > details.for-developers")}


def rows(node) -> dict[str, list[str]]:
    """event-type code -> the texts of its row (name, code, ball with the customer, closes, permission)."""
    out = {}
    for tr in node.select("table.catalog-table tbody tr"):
        cells = [text_of(td) for td in tr.select("td")]
        out[cells[1]] = cells
    return out


def warnings(soup) -> list[str]:
    return [text_of(n) for n in soup.select("main .notice--warning")]


def matches(doc: dict, needle: str) -> set[str]:
    """Top-level case types a search for ``needle`` keeps: its (or a descendant's) code, names, descriptions or
    event types' codes and names contain it (case-insensitive)."""
    kids: dict[str | None, list[dict]] = {}
    for t in doc["arendetyper"]:
        kids.setdefault(t.get("overordnad"), []).append(t)

    def texts(t: dict) -> list[str]:
        out = [t["kod"], *t["namn"].values(), *(t.get("beskrivning") or {}).values()]
        for e in doc["kundhandelsetyper"]:
            if e["kod"].rsplit(".", 1)[0] == t["kod"]:
                out += [e["kod"], *e["namn"].values()]
        return out

    def hit(t: dict) -> bool:
        return any(needle.casefold() in x.casefold() for x in texts(t)) or any(hit(c) for c in kids.get(t["kod"], []))

    return {t["kod"] for t in kids.get(None, []) if hit(t)}


def log_count(world, needle: str = "/kundhandelsetyper") -> int:
    """How many requests for ``needle`` the mock world has logged (its request log is a file)."""
    return world.output().count(needle)


@pytest.fixture()
def karin(client):
    login(client, KARIN)
    return client


def test_the_demo_world_has_producers_with_and_without_a_catalog():
    assert len(WITH_CATALOG) == 7 and WITHOUT_CATALOG == ["lantmateriet"]


def test_the_catalog_page_needs_a_login(client):
    response = client.get("/katalog")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_producer_has_a_section(karin):
    response = karin.get("/katalog")
    assert response.status_code == 200
    soup = page(response)
    assert_page_structure(soup)
    assert [text_of(h) for h in soup.select("main section > h2")] == [p.name for p in PRODUCERS]


def test_every_producer_with_a_catalog_lists_its_case_types_nested(karin):
    soup = page(karin.get("/katalog"))
    assert warnings(soup) == []
    for slug in WITH_CATALOG:
        node = section(soup, slug)
        items = case_type_items(node)
        doc = catalog(slug)
        assert set(items) == {t["kod"] for t in doc["arendetyper"]}, slug
        for t in doc["arendetyper"]:
            li = items[t["kod"]]
            assert text_of(li.select_one(":scope > .catalog-tree__case strong")) == t["namn"]["sv"]
            parent = li.find_parent("li")
            if t.get("overordnad"):
                assert parent is items[t["overordnad"]], t["kod"]
            else:
                assert parent is None or parent not in items.values(), t["kod"]
    lst = case_type_items(section(soup, "lansstyrelsen"))
    assert lst["LST.VATTENBRUK.TILLSTAND"].find_parent("li") is lst["LST.VATTENBRUK"]


def test_event_types_show_ball_closing_and_permission_code(karin):
    soup = page(karin.get("/katalog"))
    for slug in WITH_CATALOG:
        node = section(soup, slug)
        shown = rows(node)
        doc = catalog(slug)
        assert set(shown) == {e["kod"] for e in doc["kundhandelsetyper"]}, slug
        for e in doc["kundhandelsetyper"]:
            name, _code, ball, closes, permission = shown[e["kod"]]
            assert name == e["namn"]["sv"]
            assert ball == ("Ja" if e.get("kraverKundatgard") else "Nej"), e["kod"]
            assert closes == ("Ja" if e.get("klart") else "Nej"), e["kod"]
            assert permission == e.get("behorighet", ""), e["kod"]
            # The row sits under its own case type.
            li = case_type_items(node)[e["kod"].rsplit(".", 1)[0]]
            assert e["kod"] in [text_of(tr.select("td")[1]) for tr in li.select(":scope > details > table tbody tr")]
    headers = [text_of(th) for th in soup.select("main table.catalog-table thead th")][:5]
    assert headers == ["Händelse", "Kod", "Bollen hos kunden", "Avslutar ärendet", "Behörighetskod"]


def test_a_producer_without_a_catalog_says_so(karin):
    soup = page(karin.get("/katalog"))
    node = section(soup, "lantmateriet")
    assert NO_CATALOG_SV in text_of(node)
    assert not node.select("table, .catalog-tree")
    assert warnings(soup) == []  # having no catalog is not a failure
    for slug in WITH_CATALOG:
        assert NO_CATALOG_SV not in text_of(section(soup, slug))


@pytest.mark.parametrize("needle", ["vattenbruk", "VATTENBRUK", "Strandskydd", "situationsplan-finns-inte"])
def test_search_keeps_only_matching_case_types(karin, needle):
    soup = page(karin.get("/katalog", query_string={"q": needle}))
    assert soup.select_one("#catalog-q")["value"] == needle
    for slug in WITH_CATALOG:
        node = section(soup, slug)
        kept = {code for code, li in case_type_items(node).items() if li.find_parent("li") is None}
        assert kept == matches(catalog(slug), needle), (slug, needle)
        if not kept:
            assert "Inget matchar sökningen." in text_of(node)


def test_searching_for_vattenbruk(karin):
    soup = page(karin.get("/katalog?q=vattenbruk"))
    lst = case_type_items(section(soup, "lansstyrelsen"))
    assert "LST.VATTENBRUK" in lst and "LST.VATTENBRUK.TILLSTAND" in lst  # the child comes along
    assert not {"LST.STRANDSKYDD", "LST.KULTURMILJO", "LST.PRIMARPRODUKTION"} & set(lst)
    assert "SJV.VATTENBRUKSANLAGGNING" in case_type_items(section(soup, "jordbruksverket"))
    assert not case_type_items(section(soup, "skatteverket"))
    assert "Inget matchar sökningen." in text_of(section(soup, "skatteverket"))


def test_a_long_search_is_cut_not_refused(karin):
    response = karin.get("/katalog", query_string={"q": "x" * 500})
    assert response.status_code == 200
    assert len(page(response).select_one("#catalog-q")["value"]) == 100


def test_names_in_english(karin):
    karin.get("/sprak/en")
    soup = page(karin.get("/katalog"))
    assert soup.select_one("html")["lang"] == "en"
    lst = section(soup, "lansstyrelsen")
    doc = catalog("lansstyrelsen")
    items = case_type_items(lst)
    for t in doc["arendetyper"]:
        assert text_of(items[t["kod"]].select_one(":scope > .catalog-tree__case strong")) == t["namn"]["en"]
    shown = rows(lst)
    for e in doc["kundhandelsetyper"]:
        assert shown[e["kod"]][0] == e["namn"].get("en", e["namn"]["sv"])
        assert shown[e["kod"]][2] == ("Yes" if e.get("kraverKundatgard") else "No")
    assert "This agency publishes no catalog." in text_of(section(soup, "lantmateriet"))


def test_the_catalog_is_cached(karin, demo_world):
    """The stats of /_admin/stats count only the query operation, so the mock's request log is counted instead."""
    before = log_count(demo_world)
    first = page(karin.get("/katalog"))
    fetched = log_count(demo_world) - before
    assert fetched == len(PRODUCERS)  # each producer asked once
    assert demo_world.admin("GET", "/stats").status_code == 200
    second = page(karin.get("/katalog?q=vattenbruk"))
    third = page(karin.get("/katalog"))
    assert log_count(demo_world) - before == fetched  # no new /kundhandelsetyper requests
    assert text_of(third.select_one("main")) == text_of(first.select_one("main"))
    assert case_type_items(section(second, "lansstyrelsen"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again at once: nobody listens there


def test_a_producer_that_does_not_answer_is_named_and_the_others_still_show(tmp_path, demo_world):
    cfg = portal_config(tmp_path, demo_world.url)
    dead = f"http://127.0.0.1:{closed_port()}/lansstyrelsen"
    cfg = dataclasses.replace(cfg, producers=tuple(dataclasses.replace(p, url=dead) if p.slug == "lansstyrelsen" else p
                                                   for p in cfg.producers))
    client = create_app({"TESTING": True, "PORTAL": cfg}).test_client()
    login(client, KARIN)
    soup = page(client.get("/katalog"))
    assert warnings(soup) == [f"{NAMES['lansstyrelsen']} svarade inte; deras katalog saknas."]
    assert text_of(section(soup, "lansstyrelsen")) == \
        f"{NAMES['lansstyrelsen']} Vi kunde inte hämta myndighetens katalog just nu."
    assert NO_CATALOG_SV in text_of(section(soup, "lantmateriet"))
    assert set(case_type_items(section(soup, "skatteverket"))) == {t["kod"] for t in catalog("skatteverket")["arendetyper"]}


def test_a_producer_without_a_catalog_lists_the_type_codes_seen(app, client):
    login(client, JOHAN)
    assert client.get("/").status_code == 200  # Johan's Lantmäteriet cases are now stored
    codes = sorted({e["kundhandelseTyp"] for e in demo_events("lantmateriet", JOHAN)})
    assert codes
    node = section(page(client.get("/katalog")), "lantmateriet")
    assert NO_CATALOG_SV in text_of(node)
    assert [text_of(c) for c in node.select("li code")] == codes
    # A search narrows them too.
    needle = codes[0].rsplit(".", 1)[1]
    node = section(page(client.get("/katalog", query_string={"q": needle.lower()})), "lantmateriet")
    assert [text_of(c) for c in node.select("li code")] == [c for c in codes if needle in c]
    # Someone else (no Lantmäteriet cases) does not see Johan's codes.
    karin = app.test_client()
    login(karin, KARIN)
    karin.get("/")
    node = section(page(karin.get("/katalog")), "lantmateriet")
    assert NO_CATALOG_SV in text_of(node)
    assert not node.select("li code")
