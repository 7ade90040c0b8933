"""The conformance kit: it passes producers and registries that behave like the published ones (the reference
producer, Mina ombud's consumer API) and every mock agency, and names each defect of a broken producer or registry."""

from __future__ import annotations

import json

import pytest

import mock_producers.state as mock_state
import reference_like_producer as refprod
import reference_like_registry as refreg
from broken_producer import API_KEY as BROKEN_KEY
from broken_producer import CUSTOMER as BROKEN_CUSTOMER
from conformancetools import run_kit, run_kit_process, run_registry_kit, statuses
from mock_producers.state import DEMO_API_KEY
from portal.conformance import contracts, producer_checks, registry_checks
from portal.conformance.__main__ import main
from portal.conformance.client import percentile
from portal.conformance.report import RECOMMENDED, REQUIRED, mask

pytestmark = pytest.mark.integration

KARIN = "198504124564"  # Karin Ström: her own cases, signatory for Bohusläns Ostron AB
OSTRON = "165590001235"  # Bohusläns Ostron AB
SARA = "199206202344"
ALI = "199106613343"  # samordningsnummer
JOHAN = "197803157895"
EVA = "196601013458"  # accountant with mandates
FIXTURE_PERSON = "199009091233"  # in the fixture world's producer alfa
SKATTEVERKET, BOLAGSVERKET = "2021005448", "2021005489"  # tredjeman: Eva holds mandates at both

# Customers with events at each agency of the demo world. An organisation may not be its own anvandare at the mock
# producers (403): the company is asked for by its signatory.
DEMO_RUNS = {
    "skatteverket": ["--customer", KARIN, "--customer", EVA],
    "bolagsverket": ["--customer", OSTRON, "--anvandare", KARIN],
    "forsakringskassan": ["--customer", SARA, "--customer", ALI],
    "jordbruksverket": ["--customer", KARIN],
    "lansstyrelsen": ["--customer", OSTRON, "--anvandare", KARIN],
    "lantmateriet": ["--customer", JOHAN],
    "livsmedelsverket": ["--customer", OSTRON, "--anvandare", KARIN],
    "tanum": ["--customer", JOHAN],
    "vidareformedling": ["--customer", KARIN],  # the forwarder answers the same operation
}

# Each defect of broken_producer.py and the one check that must name it.
BROKEN_REQUIRED = {"header.correlation-id", "errors.body-shape", "semantics.type-prefix", "paging.totals"}
BROKEN_RECOMMENDED = {"tidpunkt.rfc3339", "metadata.echo"}


def demo_auth(slug: str) -> tuple[list[str], dict]:
    """How the kit authenticates to mock agency ``slug``: as the mock world's table of agencies says."""
    auth = getattr(mock_state, "DEMO_AUTH", {}).get(slug)
    if auth is not None and auth.kind == "client_headers":
        return [], {"key": mock_state.DEMO_CLIENT_SECRET, "client_id": auth.client_id}
    header = auth.header if auth is not None else "X-API-Key"
    return ["--api-key-header", header], {"key": DEMO_API_KEY}


@pytest.mark.parametrize("slug", sorted(DEMO_RUNS))
def test_every_mock_producer_passes_every_check(demo_world, slug):
    # A generous p95 limit: the recommended 2 s is about production, not a loaded 2-core test machine.
    args, credentials = demo_auth(slug)
    code, report = run_kit("producer", f"{demo_world.url}/{slug}", *DEMO_RUNS[slug], *args, "--max-p95", "10",
                           **credentials)
    assert report["failed"] == [], json.dumps([c for c in report["checks"] if c["status"] == "fail"], indent=1)
    assert code == 0 and report["passed"]
    skipped = [c["id"] for c in report["checks"] if c["status"] == "skip"]
    assert skipped == [], "the demo customers should give every check data to judge"


def test_the_mock_registry_passes_every_check(demo_world):
    from mock_producers.registry import CLIENT_ID  # the mock registry's OAuth2 client (issue 13: the real API)

    code, report = run_registry_kit(f"{demo_world.url}/minaombud/dfm/formedlare/v1", "--holder", EVA,
                                    "--tredjeman", SKATTEVERKET, "--tredjeman", BOLAGSVERKET,
                                    "--token-url", f"{demo_world.url}/minaombud/oauth2/token", "--max-p95", "10",
                                    client_id=CLIENT_ID, secret=mock_state.DEMO_OMBUD_CLIENT_SECRET)
    assert report["failed"] == [], json.dumps([c for c in report["checks"] if c["status"] == "fail"], indent=1)
    assert code == 0
    assert set(statuses(report).values()) == {"pass"}


def test_a_producer_like_the_reference_producer_passes(reference_like_producer):
    code, report = run_kit("producer", reference_like_producer.url, "--customer", refprod.CUSTOMER,
                           "--customer", refprod.COMPANY, "--anvandare", refprod.CUSTOMER, "--max-p95", "10",
                           key=refprod.API_KEY)
    assert report["failed_required"] == [], json.dumps([c for c in report["checks"] if c["status"] == "fail"],
                                                       indent=1)
    assert code == 0 and report["passed"] is True
    # Its database sorts Ä next to A: recognised, and only Swedish order (a recommendation) is missed.
    assert report["failed"] == ["semantics.swedish-order"]
    assert [c["id"] for c in report["checks"] if c["status"] == "skip"] == []
    by_id = {c["id"]: c for c in report["checks"]}
    assert any("looks like accent-insensitive order" in line for line in by_id["semantics.swedish-order"]["evidence"])
    assert any("fits accent-insensitive order" in line for line in by_id["semantics.text-order"]["evidence"])
    # 403 with problem+json for an unknown path, events without part and taggar, and a flat metadata all pass.
    assert any("unknown path) -> 403" in line for line in by_id["errors.unknown-path"]["evidence"])
    assert any("403" in line for line in by_id["errors.body-shape"]["evidence"])
    assert by_id["schema.events"]["status"] == by_id["semantics.part"]["status"] == "pass"
    assert by_id["metadata.echo"]["status"] == "pass"


def test_a_registry_like_mina_ombud_passes_every_check(reference_like_registry):
    code, report = run_registry_kit(reference_like_registry.url, "--holder", refreg.HOLDER,
                                    "--tredjeman", refreg.AGENCY_A, "--tredjeman", refreg.AGENCY_B, "--max-p95", "10",
                                    client_id=refreg.CLIENT_ID, secret=refreg.CLIENT_SECRET)
    assert report["failed"] == [], json.dumps([c for c in report["checks"] if c["status"] == "fail"], indent=1)
    assert code == 0
    assert set(statuses(report).values()) == {"pass"}
    by_id = {c["id"]: c for c in report["checks"]}
    # The default token URL is the contract's /oauth2/token on the registry's host.
    token_lines = by_id["oauth.token"]["evidence"]
    assert any("/oauth2/token (token, scope fullmakt:hamta) -> 200" in line for line in token_lines)
    assert len(by_id["mandate.fetch"]["evidence"]) == 4  # three mandates at one agency, one at the other


def test_client_secret_in_form_fields_works_too(reference_like_registry):
    code, report = run_registry_kit(reference_like_registry.url, "--holder", refreg.HOLDER, "--tredjeman",
                                    refreg.AGENCY_B, "--token-auth", "post", "--max-p95", "10",
                                    client_id=refreg.CLIENT_ID, secret=refreg.CLIENT_SECRET)
    assert code == 0 and report["failed"] == []


def test_a_registry_without_the_real_contract_fails(lenient_registry):
    code, report = run_registry_kit(lenient_registry.url, "--holder", refreg.HOLDER, "--tredjeman", refreg.AGENCY_A,
                                    client_id=refreg.CLIENT_ID, secret=refreg.CLIENT_SECRET)
    assert code == 1
    assert set(report["failed_required"]) == {"errors.tredjeman-required", "schema.answer"}
    by_id = {c["id"]: c for c in report["checks"]}
    assert any("no tredjeman) -> 200" in line for line in by_id["errors.tredjeman-required"]["evidence"])
    assert any("'_sig' is required" in line for line in by_id["schema.answer"]["evidence"])


def test_a_wrong_client_secret_fails_the_run_with_the_token_named(reference_like_registry):
    code, report = run_registry_kit(reference_like_registry.url, "--holder", refreg.HOLDER, "--tredjeman",
                                    refreg.AGENCY_A, client_id=refreg.CLIENT_ID, secret="not-the-secret-0123456789")
    assert code == 1
    failed = set(report["failed_required"])
    assert {"oauth.token", "query.accepted"} <= failed
    by_id = {c["id"]: c for c in report["checks"]}
    assert any("-> 401" in line for line in by_id["oauth.token"]["evidence"])
    assert "not-the-secret" not in json.dumps(report)  # the secret never appears in the report


def test_the_broken_producer_fails_with_exactly_its_defects_named(broken_producer):
    run = run_kit_process("producer", broken_producer.url, "--customer", BROKEN_CUSTOMER, "--json", key=BROKEN_KEY)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["passed"] is False
    assert set(report["failed_required"]) == BROKEN_REQUIRED
    assert set(report["failed_recommended"]) == BROKEN_RECOMMENDED
    assert set(report["failed"]) == BROKEN_REQUIRED | BROKEN_RECOMMENDED
    by_id = {c["id"]: c for c in report["checks"]}
    assert by_id["tidpunkt.rfc3339"]["severity"] == RECOMMENDED
    assert any("text/plain" in line for line in by_id["errors.body-shape"]["evidence"])
    assert any("nested as metadata.fraga" in line for line in by_id["metadata.echo"]["evidence"])
    assert any("-> 200" in line and "expected 400" in line for line in by_id["header.correlation-id"]["evidence"])
    assert any("totals [2, 2, 1, 0]" in line for line in by_id["paging.totals"]["evidence"])


def test_the_text_report_shows_each_check_with_evidence_and_the_verdict(broken_producer):
    run = run_kit_process("producer", broken_producer.url, "--customer", BROKEN_CUSTOMER, key=BROKEN_KEY)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert any(line.split()[:3] == ["FAIL", "required", "paging.totals"] for line in lines if line.strip())
    assert any(line.split()[:3] == ["PASS", "required", "auth.missing-key"] for line in lines if line.strip())
    assert "expected 401" in run.stdout  # evidence under the check
    assert lines[-1].startswith("RESULT: FAIL") and "errors.body-shape" in lines[-1]
    assert BROKEN_CUSTOMER not in run.stdout  # personal numbers are masked in the report
    assert BROKEN_CUSTOMER[:8] + "****" in run.stdout


@pytest.mark.parametrize("fault, expected", [
    ("duplicates", {"semantics.part"}),
    ("foreign_events", {"semantics.part"}),
    ("invalid_events", {"schema.events", "tidpunkt.valid"}),
    ("error500", {"query.accepted"}),
])
def test_the_kit_catches_the_mock_worlds_own_faults(clean_world, fault, expected):
    assert clean_world.admin("PUT", "/faults/alfa", {"fault": fault}).status_code == 200
    code, report = run_kit("producer", f"{clean_world.url}/alfa", "--customer", FIXTURE_PERSON, key=DEMO_API_KEY)
    assert code == 1
    assert expected <= set(report["failed_required"])


def test_a_recommended_failure_alone_still_exits_0(clean_world):
    assert clean_world.admin("PUT", "/faults/alfa", {"latency_ms": 30}).status_code == 200
    code, report = run_kit("producer", f"{clean_world.url}/alfa", "--customer", FIXTURE_PERSON,
                           "--max-p95", "0.01", key=DEMO_API_KEY)
    assert report["failed"] == ["performance.p95"] and report["failed_recommended"] == ["performance.p95"]
    assert code == 0 and report["passed"] is True


def test_a_dead_endpoint_fails_without_crashing():
    code, report = run_kit("producer", "http://127.0.0.1:9/ingen", "--customer", KARIN, "--timeout", "2",
                           key=DEMO_API_KEY)
    assert code == 1
    accepted = statuses(report)["query.accepted"]
    assert accepted == "fail"


def test_usage_errors_exit_2(monkeypatch, capsys):
    monkeypatch.delenv("CONFORMANCE_UNSET_KEY", raising=False)
    assert main(["producer", "http://127.0.0.1:9", "--api-key-env", "CONFORMANCE_UNSET_KEY"]) == 2
    assert "CONFORMANCE_UNSET_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("CONFORMANCE_SET_ID", "konsument")
    assert main(["registry", "http://127.0.0.1:9", "--client-id-env", "CONFORMANCE_SET_ID", "--client-secret-env",
                 "CONFORMANCE_UNSET_KEY", "--holder", EVA, "--tredjeman", SKATTEVERKET]) == 2
    assert "CONFORMANCE_UNSET_KEY is not set" in capsys.readouterr().err
    for bad in ("12345", "198504124565", "16123"):  # too short, wrong check digit, too short
        with pytest.raises(SystemExit) as exc:
            main(["producer", "http://127.0.0.1:9", "--api-key-env", "X", "--customer", bad])
        assert exc.value.code == 2
    for producer_auth in ([], ["--api-key-env", "X", "--client-id-env", "Y", "--client-secret-env", "Z"],
                          ["--client-id-env", "Y"]):  # none, both kinds, half a pair
        with pytest.raises(SystemExit) as exc:
            main(["producer", "http://127.0.0.1:9", *producer_auth])
        assert exc.value.code == 2
    for registry_args in (["--holder", EVA],  # tredjeman is required by the contract
                          ["--holder", EVA, "--tredjeman", "16" + SKATTEVERKET]):  # 10 digits, no 16 prefix
        with pytest.raises(SystemExit) as exc:
            main(["registry", "http://127.0.0.1:9", "--client-id-env", "A", "--client-secret-env", "B",
                  *registry_args])
        assert exc.value.code == 2


def test_list_checks_names_every_check_with_its_severity(capsys):
    assert main(["producer", "http://x", "--api-key-env", "X", "--list-checks"]) == 0
    listed = capsys.readouterr().out
    for spec in producer_checks.battery.specs:
        assert spec.id in listed
    for battery in (producer_checks.battery, registry_checks.battery):
        ids = [s.id for s in battery.specs]
        assert len(ids) == len(set(ids))
        assert {s.severity for s in battery.specs} <= {REQUIRED, RECOMMENDED}


def test_mask_hides_personal_numbers_but_not_organisation_numbers():
    assert mask("customer 198504124564 and 165590001235") == "customer 19850412**** and 165590001235"
    assert mask("id 1234567890123") == "id 1234567890123"  # 13 digits: not an identity number


def test_order_problem_and_percentile():
    events = [{"kundhandelseId": "a", "tidpunkt": "2026-01-02T10:00:00+01:00", "rubrik": "Ärende"},
              {"kundhandelseId": "b", "tidpunkt": "2026-01-01T10:00:00+01:00", "rubrik": "Åtgärd"}]
    assert producer_checks.order_problem(events, (("TIDPUNKT", False),)) is None
    assert "a (" in producer_checks.order_problem(events, (("TIDPUNKT", True),))
    # Ä before Å is code-point order, not Swedish: accepted as sorted, flagged as not Swedish.
    assert producer_checks.is_sorted_any_collation(events, (("RUBRIK", True),)) is None
    assert producer_checks.order_problem(events, (("RUBRIK", True),)) is not None
    assert producer_checks.order_problem(events, (("RUBRIK", False),)) is None
    # A database collation that ignores accents puts "Ärende" between "Anmälan" and "Beslut": recognised.
    ai = [{"kundhandelseId": i, "rubrik": r} for i, r in (("a", "Anmälan"), ("b", "Ärende"), ("c", "Beslut"))]
    assert producer_checks.fitting_collations(ai, (("RUBRIK", True),)) == ["accent-insensitive"]
    assert "Ärende" in producer_checks.order_problem(ai, (("RUBRIK", True),))  # the text, not the sort key
    shuffled = [ai[2], ai[0], ai[1]]
    assert producer_checks.fitting_collations(shuffled, (("RUBRIK", True),)) == []
    assert percentile([0.1] * 19 + [5.0], 0.95) == 0.1
    assert percentile([0.1] * 18 + [5.0, 5.0], 0.95) == 5.0
    assert percentile([], 0.95) == 0.0


def test_the_published_contracts_as_the_kit_reads_them():
    event = {"kundhandelseId": "x", "rubrik": "Beslut", "producent": "P", "tidpunkt": "2026-01-02T10:00:00+01:00",
             "kundhandelseTyp": "REF.BYGGLOV.BESLUT", "producentarendetKraverKundatgard": False,
             "producentarendetKlart": True, "version": "6.1"}
    # An answer's event: no part, no taggar, null fields left out; later versions, meänkieli, any referenser.
    assert contracts.answer_event_problems(event) == []
    assert contracts.answer_event_problems({**event, "version": "7.0", "sprak": "fit", "referenser": ["a"]}) == []
    assert contracts.answer_event_problems({**event, "sprak": "sv-SE", "utokadInformation": "text"}) == []
    assert contracts.answer_event_problems({**event, "beskrivning": None})  # null is not "left out"
    assert contracts.answer_event_problems({**event, "version": "sex"})
    assert contracts.answer_event_problems({k: v for k, v in event.items() if k != "rubrik"})
    # RFC 9457 off the query path; {"message"} on it.
    assert contracts.problem_json_problems("application/problem+json", {"title": "Forbidden", "status": 403}, 403) == []
    assert contracts.problem_json_problems("application/problem+json", {"status": 404}, 403)
    assert contracts.problem_json_problems("application/json", {"title": "Forbidden"}, 403)
    assert contracts.message_problems("application/json; charset=utf-8", {"message": "Unauthorized"}) == []
    assert contracts.message_problems("application/problem+json", {"title": "x"})
    # Mina ombud: a grantor needs roll and namn, an entry its _sig; typ is a free code, not only aktiv/passiv.
    entry = {"fullmaktsgivare": {"id": "198504124564", "typ": "pnr", "roll": "PRIVAT", "fornamn": "K", "namn": "S"},
             "fullmaktshavare": [{"id": "196601013458", "typ": "pnr"}], "tredjeman": "2021005448",
             "behorigheter": [{"kod": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "typ": "las", "fullmakt": "f1"}],
             "_sig": {"signature": "abc"}}
    answer = {"fullmaktsgivare": [entry], "page": {"size": 20, "number": 0, "totalElements": 1, "totalPages": 1}}
    assert contracts.registry_problems("HamtaBehorigheterResponse", answer) == []
    unsigned = {**answer, "fullmaktsgivare": [{k: v for k, v in entry.items() if k != "_sig"}]}
    assert any("_sig" in p for p in contracts.registry_problems("HamtaBehorigheterResponse", unsigned))
    assert registry_checks.default_token_url("https://fullmakt.example/dfm/formedlare/v1") == \
        "https://fullmakt.example/oauth2/token"
