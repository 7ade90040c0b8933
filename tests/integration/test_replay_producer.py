"""The portal against a replay of the published reference producer (issue 13, item 9), all on real ports:
the mock world (registry and the demo agencies), the replay producer (``tests/replay_producer.py``) and the
portal under gunicorn. The replay answers as the real one does: no part or taggar per event, flat metadata,
paging with ``totaltAntalKundhandelser``, its key in ``X-API-Key`` read from an env variable the config names.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from bs4 import BeautifulSoup
from portalserver import PortalServer
from replay_producer import ReplayProducer

from portal.config import ProducerConfig
from portal.standard import clock
from portal.outbound import new_session
from portal.producers import ProducerClient
from portal.standard.models import Kund

pytestmark = pytest.mark.integration

JOHAN = "197803157895"  # a fictitious demo identity
KEY = "replay-key-0123456789abcdef0123456789abcdef"
NAME = "Referenskommunen"
TODAY = clock.today()  # the shared clock: MINA_CLOCK_SHIFT_DAYS moves the portal and this data alike


def _at(days_ago: int, hour: int = 10) -> str:
    when = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour), dt.timezone.utc)
    return when.isoformat().replace("+00:00", "Z")


def _event(event_id, typ, days_ago, rubrik, *, referenser=None, arende=None, klart=False, kraver=False,
           utokad=None, sprak="sv", version="6.1"):
    part = {"kund": {"identifierare": JOHAN, "typ": "Personnummer"}}
    if arende:
        part["arende"] = {"identifierare": arende, "typ": "Diarienummer"}
    event = {"kundhandelseId": event_id, "part": part, "rubrik": rubrik, "beskrivning": f"{rubrik}.", "sprak": sprak,
             "producent": NAME, "tidpunkt": _at(days_ago), "kundhandelseTyp": typ,
             "producentarendetKraverKundatgard": kraver, "producentarendetKlart": klart, "version": version,
             "taggar": ["bygglov"]}
    if referenser is not None:
        event["referenser"] = referenser
    if utokad is not None:
        event["utokadInformation"] = utokad
    return event


DEADLINE = (TODAY + dt.timedelta(days=20)).isoformat()
EVENTS = [
    # Two building permits of one person: one decided, the other waiting for him (an open deadline).
    _event("ref-1", "REFKOM.BYGGLOV.MOTTAGEN", 60, "Vi har tagit emot din ansökan om bygglov för garage",
           referenser={"diarienummer": "BN 2026-101", "lank": "https://ref.example/arenden/bn-2026-101"},
           arende="BN 2026-101"),
    _event("ref-2", "REFKOM.BYGGLOV.MOTTAGEN", 40, "Vi har tagit emot din ansökan om bygglov för altan",
           referenser={"diarienummer": "BN 2026-102"}, arende="BN 2026-102"),
    _event("ref-3", "REFKOM.BYGGLOV.KOMPLETTERING", 30, "Vi behöver en situationsplan", kraver=True,
           referenser={"diarienummer": "BN 2026-102"}, arende="BN 2026-102",
           utokad={"senastDatum": DEADLINE, "saknadeHandlingar": ["Situationsplan"]}),
    _event("ref-4", "REFKOM.BYGGLOV.BESLUT", 5, "Beslut: bygglov för garage beviljat", klart=True,
           referenser={"diarienummer": "BN 2026-101", "lank": "https://ref.example/arenden/bn-2026-101"},
           arende="BN 2026-101"),
    # A case named only by its link, in meänkieli, from a later version of the standard.
    _event("ref-5", "REFKOM.PARKERING.MOTTAGEN", 20, "Olema vastaanottanheet sinun hakemuksen", sprak="fit",
           version="6.2", referenser={"lank": "https://ref.example/arenden/p-7"}),
    # A case whose referenser is no object at all: it is grouped by its type.
    _event("ref-6", "REFKOM.FARDTJANST.MOTTAGEN", 10, "Vi har tagit emot din ansökan om färdtjänst",
           referenser=["FT-2026-9"], utokad="ingen extra information"),
]


def extra_agency(url: str) -> dict:
    """The replay as one more agency of the portal's config (a ``[[producer]]`` table)."""
    return {"slug": "referenskommunen", "name": NAME, "orgnr": "2120000001", "url": url,
            "api_key_env": "REPLAY_PRODUCER_KEY"}


@pytest.fixture()
def replay():
    with ReplayProducer(EVENTS, api_key=KEY) as producer:
        yield producer


@pytest.fixture()
def portal(demo_world, replay, tmp_path):
    # page_size 2: the portal must page through the replay's answers; every load is a full refresh.
    server = PortalServer(demo_world.url, tmp_path, extra_config={"producer": [extra_agency(replay.url)]},
                          env={"REPLAY_PRODUCER_KEY": KEY, "PORTAL_FRESH_S": "0", "PORTAL_FULL_REFRESH_H": "0",
                               "PORTAL_PAGE_SIZE": "2", "PORTAL_PAGE_DEADLINE_S": "5"})
    try:
        yield server
    finally:
        server.stop()


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.text, "html.parser")


def _login(server) -> requests.Session:
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(server.url + "/login").text).group(1)
    r = http.post(server.url + "/login", data={"personnummer": JOHAN, "csrf_token": token}, allow_redirects=False)
    assert r.status_code == 302
    return http


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split()) if node is not None else ""


def _fact(card, label):
    for div in card.select(".case-card__facts > div"):
        if _text(div.select_one("dt")) == label:
            return _text(div.select_one("dd"))
    return None


def _replay_cards(soup):
    return {_fact(c, "Referens") or _text(c.select_one(".case-card__title a")): c
            for c in soup.select("main .case-card") if _fact(c, "Myndighet") == NAME}


EXPECTED = {"BN 2026-101", "BN 2026-102", "Olema vastaanottanheet sinun hakemuksen",
            "Vi har tagit emot din ansökan om färdtjänst"}


def test_the_overview_shows_the_replays_cases_correctly_split(portal, replay):
    http = _login(portal)
    soup = _soup(http.get(portal.url + "/"))
    cards = _replay_cards(soup)
    assert set(cards) == EXPECTED
    status = soup.select_one('.status-list__item[data-producer="referenskommunen"]')
    assert "svarade" in _text(status) and "kunde inte läsas" not in _text(status) and "delvis" not in _text(status)
    # The open permit is "your turn" with its deadline; the decided one is closed and hides nothing.
    your_turn = [_fact(c, "Referens") for c in soup.select("main section.section--your-turn .case-card")
                 if _fact(c, "Myndighet") == NAME]
    assert your_turn == ["BN 2026-102"]
    assert "Avslutat" in _text(cards["BN 2026-101"].select_one(".badge"))
    # The replay saw what the reference producer expects: its key, a correlation id, paging with sorting.
    asked = replay.requests
    assert asked and all(r["headers"].get("X-API-Key") == KEY and r["headers"].get("skv_client_correlation_id")
                         for r in asked)
    assert len(asked) >= 3  # six events, two per page


def test_the_case_page_works(portal):
    http = _login(portal)
    cards = _replay_cards(_soup(http.get(portal.url + "/")))
    case = _soup(http.get(portal.url + cards["BN 2026-101"].select_one(".case-card__title a")["href"]))
    assert [_text(t) for t in case.select(".timeline__title")] == [
        "Beslut: bygglov för garage beviljat", "Vi har tagit emot din ansökan om bygglov för garage"]
    assert "https://ref.example/arenden/bn-2026-101" in [a["href"] for a in case.select("main a[href]")]
    fit = _soup(http.get(portal.url + cards["Olema vastaanottanheet sinun hakemuksen"]
                         .select_one(".case-card__title a")["href"]))
    assert fit.select_one(".timeline__title [lang], .timeline__title[lang]")["lang"] == "fit"


def test_a_full_refresh_deletes_nothing(portal, replay):
    http = _login(portal)
    first = set(_replay_cards(_soup(http.get(portal.url + "/"))))
    assert first == EXPECTED
    for _ in range(2):  # full_refresh_h = 0: each load is a full fetch
        assert set(_replay_cards(_soup(http.get(portal.url + "/")))) == EXPECTED


def test_the_client_reads_every_page_and_calls_the_answer_complete(replay):
    config = ProducerConfig(slug="referenskommunen", name=NAME, orgnr="2120000001", url=replay.url, api_key=KEY)
    client = ProducerClient(config, new_session(), page_size=4)
    result = client.fetch(Kund(JOHAN, "Personnummer"), JOHAN, "6f1d2c1e-2b9a-4c41-9d35-0c1f3a7c2e10")
    assert sorted(e.kundhandelse_id for e in result.events) == [f"ref-{i}" for i in range(1, 7)]
    assert result.pages == 2 and result.complete and result.invalid == 0 and result.foreign == 0
    assert {e.part.kund for e in result.events} == {Kund(JOHAN, "Personnummer")}


def test_the_replay_refuses_a_wrong_key_and_answers_403_off_the_query_path(replay):
    r = requests.post(replay.url + "/kundhandelseFragaSynkron", json={}, headers={"X-API-Key": "x" * 40},
                      timeout=5)
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}
    r = requests.get(replay.url + "/nothing-here", headers={"X-API-Key": KEY}, timeout=5)
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json"
