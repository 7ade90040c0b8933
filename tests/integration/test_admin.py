"""The admin API (``/_admin``): its own key, events at run time, counters, replacing the registry."""

from __future__ import annotations

import json
from pathlib import Path

import ombudtools
import pytest

from mock_producers.dates import shift_days, shift_value
from mock_producers.state import DEMO_ADMIN_KEY, DEMO_API_KEY
from portal.standard import schemas
from portal.standard.tidpunkt import format_rfc3339
from portal.standard.tidpunkt import parse as parse_tidpunkt

pytestmark = pytest.mark.integration

FIXTURE_REGISTRY = Path(__file__).resolve().parents[1] / "fixtures" / "world" / "minaombud.json"
Q = "/alfa/kundhandelseFragaSynkron"
PERSON = "199009091233"
ACCOUNTANT = "196601013458"
STRANGER = "198808086782"
ALFA_IDS = ["alfa-4", "alfa-3", "alfa-2", "alfa-1", "alfa-5"]


def person_query(anvandare: str = PERSON) -> dict:
    return {"fraga": {"parter": [{"kund": {"identifierare": PERSON, "typ": "Personnummer"}}]},
            "anvandare": anvandare}


def ids(response) -> list[str]:
    return [e["kundhandelseId"] for e in response.json()["kundhandelser"][0]["kundhandelserForPart"]]


# Newer than every fixture event, in local Swedish time, moved to today as the fixture world's dates are.
ADDED_AT = shift_value("2026-11-20 14:00:00", shift_days({"referensdatum": "2026-11-27"}))


def new_event(event_id: str = "admin-1", **changes) -> dict:
    return {
        "kundhandelseId": event_id,
        "part": {"kund": {"identifierare": PERSON, "typ": "Personnummer"},
                 "arende": {"identifierare": "A-99", "typ": "Diarienummer"}},
        "rubrik": "Nytt beslut",
        "beskrivning": "Lagt till under körning.",
        "sprak": "sv",
        "producent": "Alfaverket",
        "tidpunkt": ADDED_AT,
        "kundhandelseTyp": "ALFA.BYGGLOV.BESLUT",
        "producentarendetKraverKundatgard": False,
        "producentarendetKlart": True,
        "version": "6.1",
        "taggar": ["bygglov"],
    } | changes


def sok_accountant(world) -> dict:
    r = ombudtools.sok(world, ACCOUNTANT, "2021005448")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture()
def events_cleaned(clean_world):
    """``clean_world``; events the test adds at alfa (ids starting ``admin-``) are removed afterwards."""
    yield clean_world
    for event_id in ("admin-1", "admin-2", "admin-bad"):
        clean_world.admin("DELETE", f"/producers/alfa/events/{event_id}")
    assert ids(clean_world.query(Q, person_query())) == ALFA_IDS


def fixture_mandate(**changes) -> dict:
    """The fixture registry's first mandate (contract shape) with ``changes``."""
    return json.loads(FIXTURE_REGISTRY.read_text(encoding="utf-8"))["fullmakter"][0] | changes


@pytest.fixture()
def own_registry(clean_world):
    yield clean_world
    r = clean_world.admin("PUT", "/registry", json.loads(FIXTURE_REGISTRY.read_text(encoding="utf-8")))
    assert r.status_code == 200, r.text


# --- the admin key ---------------------------------------------------------------------------------------------

ADMIN_CALLS = [
    ("GET", "/faults", None),
    ("DELETE", "/faults", None),
    ("PUT", "/faults/alfa", {"fault": "error500"}),
    ("PUT", "/producers/alfa/events", new_event()),
    ("DELETE", "/producers/alfa/events/alfa-1", None),
    ("PUT", "/registry", {"fullmakter": []}),
    ("PUT", "/access-check", {"enabled": False}),
    ("GET", "/stats", None),
    ("DELETE", "/stats", None),
]
BAD_KEYS = {
    "no key": None,
    "wrong key": "wrong-admin-key-0123456789abcdef0123456",
    "the API key": DEMO_API_KEY,
    "empty": "",
    "admin key with a suffix": DEMO_ADMIN_KEY + "x",
}


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=list(BAD_KEYS))
@pytest.mark.parametrize("method, path, body", ADMIN_CALLS, ids=[f"{m} {p}" for m, p, _ in ADMIN_CALLS])
def test_every_admin_call_needs_the_admin_key(clean_world, method, path, body, key):
    headers = {} if key is None else {"X-Admin-Key": key}
    r = clean_world.http.request(method, clean_world.url + "/_admin" + path, json=body, headers=headers, timeout=10)
    assert r.status_code == 401, r.text
    assert schemas.problems("fel", r.json()) == []


def test_refused_admin_calls_change_nothing(clean_world):
    for method, path, body in ADMIN_CALLS:
        clean_world.http.request(method, clean_world.url + "/_admin" + path, json=body,
                                 headers={"X-Admin-Key": DEMO_API_KEY}, timeout=10)
    r = clean_world.query(Q, person_query())
    assert r.status_code == 200 and ids(r) == ALFA_IDS  # no fault set, no event added or removed
    assert clean_world.query(Q, person_query(STRANGER)).status_code == 403  # access check still on
    assert [e["fullmaktsgivare"]["id"] for e in sok_accountant(clean_world)["fullmaktsgivare"]] == ["5590001235"]


def test_the_admin_key_is_not_an_api_key(clean_world):
    r = clean_world.query(Q, person_query(), key=DEMO_ADMIN_KEY)
    assert r.status_code == 401


# --- events at run time ----------------------------------------------------------------------------------------


def test_put_an_event_then_query_it_then_delete_it(events_cleaned):
    w = events_cleaned
    r = w.admin("PUT", "/producers/alfa/events", new_event())
    assert r.status_code == 200 and r.json() == {"kundhandelseId": "admin-1"}

    answer = w.query(Q, person_query())
    assert ids(answer) == ["admin-1"] + ALFA_IDS  # newest
    assert answer.json()["kundhandelser"][0]["totaltAntalKundhandelser"] == 6
    added = answer.json()["kundhandelser"][0]["kundhandelserForPart"][0]
    assert added["rubrik"] == "Nytt beslut"
    assert added["tidpunkt"] == format_rfc3339(parse_tidpunkt(ADDED_AT))  # local input served as RFC 3339
    assert added["tidpunkt"][10] == "T" and added["tidpunkt"][-6] in "+-"
    forwarded = w.query("/vidareformedling/kundhandelseFragaSynkron", person_query())
    assert "admin-1" in ids(forwarded)

    r = w.admin("DELETE", "/producers/alfa/events/admin-1")
    assert r.status_code == 200 and r.json() == {"removed": "admin-1"}
    assert ids(w.query(Q, person_query())) == ALFA_IDS
    again = w.admin("DELETE", "/producers/alfa/events/admin-1")
    assert again.status_code == 404 and schemas.problems("fel", again.json()) == []


def test_put_replaces_an_event_with_the_same_id(events_cleaned):
    w = events_cleaned
    w.admin("PUT", "/producers/alfa/events", new_event())
    w.admin("PUT", "/producers/alfa/events", new_event(rubrik="Ändrat beslut", producentarendetKlart=False))
    events = w.query(Q, person_query()).json()["kundhandelser"][0]["kundhandelserForPart"]
    added = [e for e in events if e["kundhandelseId"] == "admin-1"]
    assert len(added) == 1
    assert added[0]["rubrik"] == "Ändrat beslut" and added[0]["producentarendetKlart"] is False


def test_added_event_is_subject_to_the_access_check(events_cleaned):
    w = events_cleaned
    w.admin("PUT", "/producers/alfa/events", new_event(
        "admin-2", part={"kund": {"identifierare": "165590001235", "typ": "Organisationsnummer"}},
        kundhandelseTyp="ALFA.MOMS.KOMPLETTERING", producentarendetKraverKundatgard=True, producentarendetKlart=False))
    body = {"fraga": {"parter": [{"kund": {"identifierare": "165590001235", "typ": "Organisationsnummer"}}]},
            "anvandare": ACCOUNTANT}
    assert ids(w.query(Q, body)) == ["admin-2", "alfa-6"]  # the accountant's ALFA.MOMS covers it


@pytest.mark.parametrize("change, field", [
    ({"rubrik": None}, "rubrik"),
    ({"kundhandelseTyp": "alfa.bygglov.beslut"}, "kundhandelseTyp"),
    ({"tidpunkt": "2026-03-29 02:30:00"}, "tidpunkt"),
    ({"tidpunkt": "igår"}, "tidpunkt"),
    ({"producentarendetKlart": "ja"}, "producentarendetKlart"),
    ({"part": {}}, "part"),
    ({"taggar": [""]}, "taggar"),
    ({"kundhandelseId": ""}, "kundhandelseId"),
    ({"okand": 1}, "okand"),
])
def test_put_an_invalid_event_is_400_naming_the_field(events_cleaned, change, field):
    event = new_event("admin-bad", **change)
    event = {k: v for k, v in event.items() if v is not None}
    r = events_cleaned.admin("PUT", "/producers/alfa/events", event)
    assert r.status_code == 400, r.text
    assert schemas.problems("fel", r.json()) == []
    assert field in r.json()["message"]
    assert "admin-bad" not in ids(events_cleaned.query(Q, person_query()))


@pytest.mark.parametrize("body", [[], "x", None])
def test_put_an_event_that_is_not_an_object_is_400(events_cleaned, body):
    r = events_cleaned.http.put(events_cleaned.url + "/_admin/producers/alfa/events", data=json.dumps(body),
                                headers={"X-Admin-Key": DEMO_ADMIN_KEY, "Content-Type": "application/json"},
                                timeout=10)
    assert r.status_code == 400


@pytest.mark.parametrize("change", [
    {"kundhandelseTyp": "BETA.BYGGLOV.BESLUT"},
    {"part": {"kund": {"identifierare": "199009091234", "typ": "Personnummer"}}},
])
def test_put_applies_the_same_checks_as_startup(events_cleaned, change):
    r = events_cleaned.admin("PUT", "/producers/alfa/events", new_event("admin-bad", **change))
    assert r.status_code == 400


def test_events_at_an_unknown_producer_are_404(clean_world):
    assert clean_world.admin("PUT", "/producers/gamma/events", new_event()).status_code == 404
    assert clean_world.admin("DELETE", "/producers/gamma/events/alfa-1").status_code == 404
    assert clean_world.admin("DELETE", "/producers/alfa/events/no-such-event").status_code == 404


def test_an_event_is_deleted_only_at_its_own_producer(clean_world):
    assert clean_world.admin("DELETE", "/producers/beta/events/alfa-1").status_code == 404
    assert "alfa-1" in ids(clean_world.query(Q, person_query()))


# --- counters --------------------------------------------------------------------------------------------------


def test_stats_count_requests_and_bytes_per_producer_and_reset(clean_world):
    assert clean_world.admin("GET", "/stats").json() == {}
    alfa = [clean_world.query(Q, person_query()) for _ in range(2)]
    beta = clean_world.query("/beta/kundhandelseFragaSynkron", person_query())
    assert all(r.status_code == 200 for r in [*alfa, beta])

    stats = clean_world.admin("GET", "/stats").json()
    assert stats == {
        "alfa": {"requests": 2, "bytes_sent": sum(len(r.content) for r in alfa)},  # bytes, not characters
        "beta": {"requests": 1, "bytes_sent": len(beta.content)},
    }
    assert len(alfa[0].content) > len(alfa[0].text)  # the body has å/ä/ö: bytes and characters differ

    r = clean_world.admin("DELETE", "/stats")
    assert r.status_code == 200
    assert clean_world.admin("GET", "/stats").json() == {}
    clean_world.query("/beta/kundhandelseFragaSynkron", person_query())
    assert clean_world.admin("GET", "/stats").json() == {"beta": {"requests": 1, "bytes_sent": len(beta.content)}}


def test_stats_count_the_forwarders_fan_out(clean_world):
    clean_world.query("/vidareformedling/kundhandelseFragaSynkron", person_query())
    stats = clean_world.admin("GET", "/stats").json()
    assert {slug: s["requests"] for slug, s in stats.items()} == {"alfa": 1, "beta": 1}


# --- the registry ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", [
    {},
    {"fullmakter": "none"},
    {"fullmakter": [{"id": "x"}]},
    {"fullmakter": [fixture_mandate(giltigFrom="2027-01-01", giltigTom="2026-01-01")]},  # backwards
    {"fullmakter": [fixture_mandate(tredjeman={"id": "2021005449", "namn": "Fel"})]},  # bad check digit
    {"fullmakter": [fixture_mandate(tredjeman="2021005448")]},  # the old shape: tredjeman is an object
    {"fullmakter": [fixture_mandate(behorigheter=[{"kod": "ALFA", "typer": ["aktiv"]}])]},  # the old shape
    {"fullmakter": [], "firmatecknare": [{"orgnr": "5590001235"}]},
    [],
])
def test_invalid_registry_is_400_and_the_old_one_still_answers(own_registry, doc):
    r = own_registry.admin("PUT", "/registry", doc)
    assert r.status_code == 400, r.text
    assert schemas.problems("fel", r.json()) == [] and r.json()["message"]

    [entry] = sok_accountant(own_registry)["fullmaktsgivare"]
    assert entry["behorigheter"] == [{"kod": "ALFA.MOMS", "typ": "aktiv",
                                      "fullmakt": "a1fa0000-0000-4000-8000-000000000002"}]
    firma = ombudtools.firma(own_registry, "198504124564")
    assert firma.json() == {"firmatecknare": [{"orgnr": "5590001235", "namn": "Test AB"}]}


def test_registry_body_that_is_not_json_is_400(own_registry):
    r = own_registry.http.put(own_registry.url + "/_admin/registry", data="{nope",
                              headers={"X-Admin-Key": DEMO_ADMIN_KEY, "Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400
    assert len(sok_accountant(own_registry)["fullmaktsgivare"]) == 1


def test_a_valid_registry_replaces_the_old_one_at_once(own_registry):
    r = own_registry.admin("PUT", "/registry", {"fullmakter": []})
    assert r.status_code == 200 and r.json() == {"fullmakter": 0}
    assert sok_accountant(own_registry)["fullmaktsgivare"] == []
    body = {"fraga": {"parter": [{"kund": {"identifierare": "165590001235", "typ": "Organisationsnummer"}}]},
            "anvandare": ACCOUNTANT}
    assert own_registry.query(Q, body).status_code == 403  # the producers use the new registry too


# --- access check switch ---------------------------------------------------------------------------------------


def test_access_check_switch(clean_world):
    assert clean_world.admin("PUT", "/access-check", {"enabled": "no"}).status_code == 400
    assert clean_world.query(Q, person_query(STRANGER)).status_code == 403
    r = clean_world.admin("PUT", "/access-check", {"enabled": False})
    assert r.status_code == 200 and r.json() == {"enabled": False}
    assert clean_world.query(Q, person_query(STRANGER)).status_code == 200
