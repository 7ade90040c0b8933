"""openapi: the producer API document stands alone and describes real answers."""

from __future__ import annotations

import pytest
from builders import arende_json, fraga_body, kund_json, make_event
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from portal.standard import openapi, schemas
from portal.standard.models import Arende, Kund
from portal.standard.query import answer, parse_query

DOC_URI = "urn:test:openapi"


@pytest.fixture(scope="module")
def doc():
    return openapi.document("Referenskommunen", "https://producer.example/api")


def _refs(node, found=None):
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.append(value)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _component_validator(doc, name):
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{DOC_URI}#/components/schemas/{name}"}, registry=registry)


def test_document_shape(doc):
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": "https://producer.example/api"}]
    assert "Referenskommunen" in doc["info"]["title"]
    op = doc["paths"]["/kundhandelseFragaSynkron"]["post"]
    headers = {p["name"]: p for p in op["parameters"]}
    assert headers["skv_client_correlation_id"]["required"] is True
    assert {"200", "206", "400", "401"} <= set(op["responses"])
    assert doc["paths"]["/kundhandelsetyper"]["get"]["x-extension"] is True
    assert doc["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"


def test_every_ref_points_into_components_and_resolves(doc):
    refs = _refs(doc)
    assert refs, "the document should use $ref"
    components = doc["components"]["schemas"]
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in components, ref


def test_no_file_ids_or_defs_survive(doc):
    text = repr(doc["components"]["schemas"])
    assert "$id" not in text and "$defs" not in text and ".json" not in text


def test_root_and_nested_components_exist(doc):
    assert {"Part", "Kund", "Arende", "Kundhandelse", "KundhandelseFraga", "KundhandelseSvar", "Delfraga",
            "Fel", "Katalog", "Producent"} <= set(doc["components"]["schemas"])


def _real_answer():
    events = [
        make_event("a", arende=Arende("BN 2026-123", "Diarienummer"), tidpunkt="2026-09-14 10:12:00",
                   taggar=["bygglov"], utokad={"senastDatum": "2026-09-30"},
                   referenser={"lank": "https://kommun.example/a"}),
        make_event("b", kund=Kund("165590001235", "Organisationsnummer", "1"), tidpunkt="2026-09-15T08:00:00Z"),
    ]
    query = parse_query(fraga_body(
        [{"kund": kund_json()}, {"arende": arende_json()}, {"kund": kund_json("165590001235", "Organisationsnummer")}],
        behandling={"sortering": [{"attribut": "TIDPUNKT"}], "paginering": {"offset": 0, "limit": 10}},
    ))
    return answer(events, query, producent="Referenskommunen", onskat_sprak="en")


def test_real_answer_validates_against_the_svar_component(doc):
    body = _real_answer()
    assert sum(len(k["kundhandelserForPart"]) for k in body["kundhandelser"]) == 3
    errors = list(_component_validator(doc, "KundhandelseSvar").iter_errors(body))
    assert errors == []
    assert schemas.problems("svar", body) == []


def test_component_validator_really_checks(doc):
    body = _real_answer()
    body["kundhandelser"][0]["kundhandelserForPart"][0]["kundhandelseTyp"] = "lowercase.type.x"
    assert list(_component_validator(doc, "KundhandelseSvar").iter_errors(body))
    assert schemas.problems("svar", body)


def test_fraga_component_matches_the_file_schema(doc):
    good = fraga_body()
    bad = fraga_body(taggar=["t"] * 101)
    v = _component_validator(doc, "KundhandelseFraga")
    assert v.is_valid(good) and not v.is_valid(bad)
