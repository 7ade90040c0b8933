"""The mock world answers like the published reference producer (issue 13): our own tests then cover what a
real producer does. Events without part or taggar, a flat metadata echo, null fields left out, the standard's
``{"message"}`` on the query path and RFC 9457 problems elsewhere, 403 for an unknown path with a valid key,
and each agency's own kind of consumer authentication."""

from __future__ import annotations

import json

import pytest
from mockworld import credentials

from mock_producers.state import DEMO_API_KEY, DEMO_CLIENT_SECRET
from portal.standard import schemas
from portal.standard.response import parse_response

pytestmark = pytest.mark.integration

PERSON = "199009091233"
KARIN = "198504124564"
Q = "/alfa/kundhandelseFragaSynkron"
EVENT_FIELDS = {"kundhandelseId", "rubrik", "beskrivning", "sprak", "producent", "tidpunkt", "kundhandelseTyp",
                "producentarendetKraverKundatgard", "producentarendetKlart", "version", "utokadInformation",
                "referenser"}


def query(kund=PERSON, typ="Personnummer", **fraga):
    return {"fraga": {"parter": [{"kund": {"identifierare": kund, "typ": typ}}], **fraga}, "anvandare": kund}


def nulls(value) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(nulls(v) for v in value)
    return False


@pytest.mark.parametrize("path", [Q, "/vidareformedling/kundhandelseFragaSynkron"])
def test_events_carry_no_part_or_taggar_the_group_names_the_party(clean_world, path):
    r = clean_world.query(path, query())
    assert r.status_code == 200
    [group] = r.json()["kundhandelser"]
    assert group["part"] == {"kund": {"identifierare": PERSON, "typ": "Personnummer"}}
    assert group["kundhandelserForPart"]
    for event in group["kundhandelserForPart"]:
        assert set(event) <= EVENT_FIELDS, set(event) - EVENT_FIELDS
    assert not nulls(r.json())  # null fields are left out, never sent as null
    assert schemas.problems("svar", r.json()) == []
    assert {e.part for e in parse_response(r.content).events} == {parse_response(r.content).parts[0].part}


@pytest.mark.parametrize("path", [Q, "/vidareformedling/kundhandelseFragaSynkron"])
def test_metadata_is_a_flat_echo_of_fraga_plus_onskat_sprak(clean_world, path):
    body = query(kundhandelseTyper=["ALFA"], startDatum="2020-01-01",
                 behandling={"sortering": [{"attribut": "TIDPUNKT", "stigande": True}],
                             "paginering": {"offset": 0, "limit": 2}})
    r = clean_world.query(path, body, headers={"Accept-Language": "en"})
    assert r.json()["metadata"] == {**body["fraga"], "onskatSprak": "en"}


def test_errors_on_the_query_path_are_a_message(clean_world):
    r = clean_world.query(Q, "{not json")
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("application/json")
    assert schemas.problems("fel", r.json()) == []


def test_errors_off_the_query_path_are_rfc9457_problems(clean_world):
    r = clean_world.http.get(clean_world.url + "/alfa/kundhandelsetyper")  # no key
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 401 and problem["title"] and problem["detail"]
    r = clean_world.http.get(clean_world.url + "/beta/kundhandelsetyper", headers={"X-API-Key": DEMO_API_KEY})
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/problem+json")


def test_an_unknown_path_is_403_with_a_valid_key_and_401_without(clean_world):
    url = clean_world.url + "/alfa/no-such-thing"
    r = clean_world.http.get(url, headers={"X-API-Key": DEMO_API_KEY})
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["status"] == 403
    r = clean_world.http.get(url)
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("application/problem+json")


def test_agencies_authenticate_consumers_each_their_own_way(demo_world):
    """The demo world has an agency of each kind: X-API-Key, a key in another header, client_id/client_secret."""
    body = query(KARIN)
    for slug, right in [("skatteverket", {"X-API-Key": DEMO_API_KEY}),
                        ("lantmateriet", {"X-Gateway-Key": DEMO_API_KEY}),
                        ("tanum", {"client_id": credentials("tanum")["client_id"], "client_secret": DEMO_CLIENT_SECRET})]:
        path = f"/{slug}/kundhandelseFragaSynkron"
        assert demo_world.query(path, body, key=None, headers=right).status_code == 200, slug
        assert demo_world.query(path, body, key=DEMO_API_KEY if slug != "skatteverket" else "x" * 40
                                ).status_code == 401, slug
    wrong_secret = {"client_id": credentials("tanum")["client_id"], "client_secret": "y" * 40}
    assert demo_world.query("/tanum/kundhandelseFragaSynkron", body, key=None, headers=wrong_secret).status_code == 401


def test_the_forwarder_asks_each_agency_with_its_own_credentials(demo_world):
    body = query("165590001235", "Organisationsnummer") | {"anvandare": KARIN}  # Karin signs for Bohusläns Ostron
    r = demo_world.query("/vidareformedling/kundhandelseFragaSynkron", body)
    assert r.status_code == 200, r.text
    assert all(d["status"] == "OK" for d in r.json()["delfragor"])  # a 401 from an agency would be FEL
    assert {e["producent"] for e in r.json()["kundhandelser"][0]["kundhandelserForPart"]} >= {
        "Tanums kommun", "Skatteverket"}


@pytest.mark.parametrize("fault, status", [("partial", 206), ("short", 200)])
def test_faults_that_leave_events_out_keep_the_total(clean_world, fault, status):
    full = clean_world.query(Q, query()).json()["kundhandelser"][0]
    clean_world.admin("PUT", "/faults/alfa", {"fault": fault})
    r = clean_world.query(Q, query())
    assert r.status_code == status
    [group] = r.json()["kundhandelser"]
    assert group["totaltAntalKundhandelser"] == full["totaltAntalKundhandelser"]
    assert len(group["kundhandelserForPart"]) == len(full["kundhandelserForPart"]) - 1
    assert (r.json()["delfragor"][0]["status"] == "FEL") == (fault == "partial")


def test_resent_malformed_sends_a_known_event_in_a_broken_form(clean_world):
    full = clean_world.query(Q, query()).json()["kundhandelser"][0]["kundhandelserForPart"]
    clean_world.admin("PUT", "/faults/alfa", {"fault": "resent_malformed"})
    r = clean_world.query(Q, query())
    parsed = parse_response(r.content)
    assert [p.kundhandelse_id for p in parsed.problems] == [full[0]["kundhandelseId"]]
    assert len(parsed.events) == len(full) - 1
    assert json.loads(r.content)["kundhandelser"][0]["totaltAntalKundhandelser"] == len(full)


def test_each_agencys_openapi_document_names_its_own_authentication(demo_world):
    def schemes(slug):
        return demo_world.http.get(f"{demo_world.url}/{slug}/api-docs", timeout=10).json()["components"][
            "securitySchemes"]
    assert {s["name"] for s in schemes("tanum").values()} == {"client_id", "client_secret"}
    assert [s["name"] for s in schemes("lantmateriet").values()] == ["X-Gateway-Key"]
    assert [s["name"] for s in schemes("skatteverket").values()] == ["X-API-Key"]
