"""Property-based tests from the OpenAPI document a mock producer serves (``/<slug>/api-docs``), with schemathesis.

Schemathesis generates requests from the document and checks each answer against it: no server error, a
documented status code and content type, a body matching the documented schema. Hypothesis runs derandomized with
a bounded number of examples, so the run is repeatable and fast. The operations' strategies are used directly
(``APIOperation.as_strategy``): the pytest plugin's lazy ``from_fixture`` loader does not work with pytest 9
(it sets ``Function._nodeid``, which pytest 9 no longer has).
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, negative_data_rejection, not_a_server_error,
                                 response_schema_conformance, status_code_conformance)

from mock_producers.state import DEMO_API_KEY

pytestmark = pytest.mark.integration

SLUG = "skatteverket"
HEADERS = {"X-API-Key": DEMO_API_KEY, "skv_client_correlation_id": str(uuid.UUID(int=8))}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SETTINGS = settings(max_examples=50, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@pytest.fixture(scope="module")
def api(demo_world):
    """The mock producer's OpenAPI document, loaded over HTTP as any agency's would be."""
    return schemathesis.openapi.from_url(f"{demo_world.url}/{SLUG}/api-docs")


def operation(api, method: str, path: str):
    return api[path][method]


def test_the_document_lists_the_query_and_the_catalog(api):
    ops = {(r.ok().method.upper(), r.ok().path) for r in api.get_all_operations()}
    assert ops == {("POST", "/kundhandelseFragaSynkron"), ("GET", "/kundhandelsetyper")}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_the_query_operation_conforms_to_its_document(api, mode):
    op = operation(api, "POST", "/kundhandelseFragaSynkron")
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    calls = []

    @given(case=op.as_strategy(generation_mode=mode, headers=HEADERS))
    @SETTINGS
    def run(case):
        calls.append(case.call_and_validate(checks=checks).status_code)

    run()
    assert len(calls) >= 20  # schemathesis really generated and sent requests


def test_the_catalog_operation_conforms_to_its_document(api):
    op = operation(api, "GET", "/kundhandelsetyper")
    calls = []

    @given(case=op.as_strategy(headers=HEADERS))
    @SETTINGS
    def run(case):
        calls.append(case.call_and_validate(checks=CHECKS).status_code)

    run()
    assert calls and set(calls) == {200}


@pytest.mark.parametrize("paginering", [{"offset": 0, "limit": 2.0}, {"offset": 1.0, "limit": 2}])
def test_integral_float_paging_is_refused_not_a_server_error(api, paginering):
    op = operation(api, "POST", "/kundhandelseFragaSynkron")
    body = {"fraga": {"parter": [{"kund": {"identifierare": "198504124564", "typ": "Personnummer"}}],
                      "behandling": {"sortering": [{"attribut": "TIDPUNKT", "stigande": True}],
                                     "paginering": paginering}},
            "anvandare": "198504124564"}
    case = op.Case(body=body, headers=HEADERS, media_type="application/json")
    response = case.call()
    assert response.status_code == 400, f"{response.status_code} {response.text[:200]}"
    case.validate_response(response, checks=CHECKS)
