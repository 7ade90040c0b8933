"""The query operation over real HTTP: headers, auth, error codes, semantics."""

from __future__ import annotations

import re

import pytest

from portal.standard import schemas, tidpunkt

pytestmark = pytest.mark.integration

PERSON = "199009091233"
ORG = "165590001235"
ACCOUNTANT = "196601013458"
SIGNATORY = "198504124564"
Q = "/alfa/kundhandelseFragaSynkron"


def person_query(**fraga):
    return {"fraga": {"parter": [{"kund": {"identifierare": PERSON, "typ": "Personnummer"}}], **fraga},
            "anvandare": PERSON}


def ids(response, part=0):
    return [e["kundhandelseId"] for e in response.json()["kundhandelser"][part]["kundhandelserForPart"]]


def test_answer_is_valid_against_the_shipped_schema(clean_world):
    r = clean_world.query(Q, person_query())
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert schemas.problems("svar", r.json()) == []
    assert ids(r) == ["alfa-4", "alfa-3", "alfa-2", "alfa-1", "alfa-5"]  # newest first by default


def test_paging_without_sorting_is_refused_with_a_message(clean_world):
    r = clean_world.query(Q, person_query(behandling={"paginering": {"offset": 0, "limit": 2}}))
    assert r.status_code == 400
    assert "sortering" in r.json()["message"]


def test_total_is_counted_before_paging(clean_world):
    body = person_query(behandling={"sortering": [{"attribut": "TIDPUNKT", "stigande": True}],
                                    "paginering": {"offset": 1, "limit": 2}})
    r = clean_world.query(Q, body)
    assert r.json()["kundhandelser"][0]["totaltAntalKundhandelser"] == 5
    assert ids(r) == ["alfa-1", "alfa-2"]


def test_correlation_id_header_with_underscores_survives_the_real_server(clean_world):
    # Werkzeug and gunicorn drop underscore headers by default; the standard needs this one.
    assert clean_world.query(Q, person_query(), correlation="3f1c-ab").status_code == 200
    r = clean_world.query(Q, person_query(), correlation=None)
    assert r.status_code == 400 and "skv_client_correlation_id" in r.json()["message"]
    too_long = clean_world.query(Q, person_query(), correlation="x" * 201)
    assert too_long.status_code == 400


@pytest.mark.parametrize("key", [None, "wrong-key-wrong-key-wrong-key-wrong-key"])
def test_missing_or_wrong_api_key_is_401(clean_world, key):
    r = clean_world.query(Q, person_query(), key=key)
    assert r.status_code == 401
    assert schemas.problems("fel", r.json()) == []


def test_error_codes_have_the_standard_body(clean_world):
    cases = [
        (clean_world.query("/nosuch/kundhandelseFragaSynkron", person_query()), 404),
        (clean_world.http.get(clean_world.url + Q), 405),
        (clean_world.query(Q, "<xml/>", content_type="application/xml"), 415),
        (clean_world.query(Q, "{not json"), 400),
        (clean_world.query(Q, {"fraga": {"parter": []}, "anvandare": PERSON}), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert schemas.problems("fel", response.json()) == [], response.text


def test_server_error_is_500_with_the_standard_body(clean_world):
    clean_world.admin("PUT", "/faults/alfa", {"fault": "error500"})
    r = clean_world.query(Q, person_query())
    assert r.status_code == 500 and r.json()["message"]


def test_english_texts_when_asked_for(clean_world):
    r = clean_world.query(Q, person_query(), headers={"Accept-Language": "en-GB,en;q=0.9,sv;q=0.5"})
    first = {e["kundhandelseId"]: e for e in r.json()["kundhandelser"][0]["kundhandelserForPart"]}
    assert first["alfa-1"]["rubrik"] == "Application received" and first["alfa-1"]["sprak"] == "en"
    assert first["alfa-2"]["sprak"] == "sv"  # no translation offered: Swedish as sent
    assert r.json()["metadata"]["onskatSprak"] == "en"


def test_local_tidpunkt_in_data_is_served_as_rfc3339(clean_world):
    r = clean_world.query(Q, person_query())
    by_id = {e["kundhandelseId"]: e for e in r.json()["kundhandelser"][0]["kundhandelserForPart"]}
    served = by_id["alfa-2"]["tidpunkt"]
    # Written "2026-09-10 10:00:00" (Stockholm) in the file; served in RFC 3339, as the same moment.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", served)
    assert tidpunkt.parse(served) == tidpunkt.parse(clean_world.moved("2026-09-10 10:00:00", "alfa"))


def test_producer_refuses_a_user_who_may_not_see_the_customer(clean_world):
    body = person_query()
    body["anvandare"] = "198808086782"
    r = clean_world.query(Q, body)
    assert r.status_code == 403
    clean_world.admin("PUT", "/access-check", {"enabled": False})
    assert clean_world.query(Q, body).status_code == 200


def test_signatory_sees_the_company(clean_world):
    body = {"fraga": {"parter": [{"kund": {"identifierare": ORG, "typ": "Organisationsnummer"}}]}, "anvandare": SIGNATORY}
    r = clean_world.query(Q, body)
    assert r.status_code == 200 and sorted(ids(r)) == ["alfa-6", "alfa-7"]


def test_mandate_limits_the_types_returned(clean_world):
    body = {"fraga": {"parter": [{"kund": {"identifierare": ORG, "typ": "Organisationsnummer"}}]}, "anvandare": ACCOUNTANT}
    r = clean_world.query(Q, body)
    assert ids(r) == ["alfa-6"]  # ALFA.MOMS granted, ALFA.ARBETSGIVARE not
    assert r.json()["kundhandelser"][0]["totaltAntalKundhandelser"] == 1


def test_revoked_mandate_gives_nothing(clean_world):
    body = person_query()
    body["anvandare"] = ACCOUNTANT
    assert clean_world.query(Q, body).status_code == 403


def test_expired_mandate_gives_nothing(clean_world):
    body = {"fraga": {"parter": [{"kund": {"identifierare": ORG, "typ": "Organisationsnummer"}}]}, "anvandare": ACCOUNTANT}
    assert clean_world.query("/beta/kundhandelseFragaSynkron", body).status_code == 403


def test_catalog_extension_and_openapi_document(clean_world):
    r = clean_world.http.get(clean_world.url + "/alfa/kundhandelsetyper",
                             headers={"X-API-Key": "demo-api-key-0123456789abcdef0123456789"})
    assert r.status_code == 200 and schemas.problems("katalog", r.json()) == []
    assert clean_world.http.get(clean_world.url + "/beta/kundhandelsetyper",
                                headers={"X-API-Key": "demo-api-key-0123456789abcdef0123456789"}).status_code == 404
    assert clean_world.http.get(clean_world.url + "/alfa/kundhandelsetyper").status_code == 401
    doc = clean_world.http.get(clean_world.url + "/alfa/api-docs").json()
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"][0]["url"].endswith("/alfa")
    assert "/kundhandelseFragaSynkron" in doc["paths"]
