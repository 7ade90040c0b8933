"""The mock Mina ombud registry over real HTTP: ``/minaombud/sok/behorigheter`` and ``/minaombud/firmatecknare``.

"Today" is the shared clock's (``portal.standard.clock``), in the tests as in the mock world.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mock_producers.state import DEMO_API_KEY
from portal.standard import clock, schemas
from portal.standard.identity import make_orgnr, make_personnummer

pytestmark = pytest.mark.integration

FIXTURE_REGISTRY = Path(__file__).resolve().parents[1] / "fixtures" / "world" / "minaombud.json"
SOK = "/minaombud/sok/behorigheter"
FIRMA = "/minaombud/firmatecknare"
ACCOUNTANT = "196601013458"
PERSON = "199009091233"
SIGNATORY = "198504124564"
ORGNR = "5590001235"  # Test AB, as Mina ombud spells it (no 16 prefix)
ALFA_TM = "2021005448"  # Alfaverket, the third party (tredjeman)
BETA_TM = "2021005489"
_today = clock.today()
TODAY, YESTERDAY, TOMORROW = (str(_today + dt.timedelta(days=d)) for d in (0, -1, 1))
LONG_AGO, FAR_AHEAD = str(_today - dt.timedelta(days=330)), str(_today + dt.timedelta(days=400))


def post(world, path: str, body, *, key: str | None = DEMO_API_KEY, content_type: str = "application/json"):
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["X-API-Key"] = key
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return world.http.post(world.url + path, data=data, headers=headers, timeout=10)


def sok(world, holder: str = ACCOUNTANT, **extra):
    r = post(world, SOK, {"fullmaktshavare": {"id": holder, "typ": "pnr"}, **extra})
    assert r.status_code == 200, r.text
    assert schemas.problems("ombud", r.json(), "SokBehorigheterSvar") == []
    return r.json()


def givers(answer: dict) -> list[str]:
    return [e["fullmaktsgivare"]["id"] for e in answer["fullmaktsgivare"]]


def fixture_registry() -> dict:
    return json.loads(FIXTURE_REGISTRY.read_text(encoding="utf-8"))


def mandate(mid: str, giver: tuple[str, str], code: str, *, typer=("aktiv",), tredjeman: str = ALFA_TM,
            holder: str = ACCOUNTANT, giltig_from: str = LONG_AGO, giltig_tom: str = FAR_AHEAD,
            aterkallad: str | None = None, namn: str = "") -> dict:
    out = {"id": mid, "rubrik": mid, "beskrivning": "", "giltigFrom": giltig_from, "giltigTom": giltig_tom,
           "fullmaktsgivare": {"id": giver[0], "typ": giver[1], "namn": namn},
           "fullmaktshavare": [{"id": holder, "typ": "pnr", "namn": "Eva"}],
           "tredjeman": tredjeman, "behorigheter": [{"kod": code, "typer": list(typer)}]}
    if aterkallad:
        out["aterkallad"] = aterkallad
    return out


@pytest.fixture()
def own_registry(clean_world):
    """``clean_world`` whose registry a test may replace; the fixture file's registry is loaded back afterwards."""
    yield clean_world
    r = clean_world.admin("PUT", "/registry", fixture_registry())
    assert r.status_code == 200, r.text


def load(world, fullmakter: list[dict], firmatecknare: list[dict] | None = None) -> None:
    doc = {"fullmakter": fullmakter}
    if firmatecknare is not None:
        doc["firmatecknare"] = firmatecknare
    r = world.admin("PUT", "/registry", doc)
    assert r.status_code == 200, r.text


# --- sok/behorigheter on the fixture registry ----------------------------------------------------------------


def test_accountant_gets_the_company_with_aktiv_beating_passiv(clean_world):
    answer = sok(clean_world)
    assert answer["page"] == {"size": 20, "number": 0, "totalElements": 1, "totalPages": 1}
    [entry] = answer["fullmaktsgivare"]
    assert entry["fullmaktsgivare"]["id"] == ORGNR and entry["fullmaktsgivare"]["typ"] == "orgnr"
    assert entry["fullmaktsgivare"]["roll"] == "ORGANISATION"
    assert entry["fullmaktsgivare"]["namn"] == "Test AB"
    assert entry["tredjeman"] == ALFA_TM
    assert [h["id"] for h in entry["fullmaktshavare"]] == [ACCOUNTANT]
    # f-alfa-org grants ALFA.MOMS passiv, f-alfa-org-2 the same code aktiv: aktiv wins, named by its mandate.
    assert entry["behorigheter"] == [{"kod": "ALFA.MOMS", "typ": "aktiv", "fullmakt": "f-alfa-org-2"}]
    assert entry["_sig"]["value"]


def test_expired_and_revoked_mandates_are_absent(clean_world):
    text = json.dumps(sok(clean_world))
    assert "f-beta-expired" not in text and BETA_TM not in text  # expired 2026-06-30
    assert "f-alfa-person-revoked" not in text and PERSON not in text  # revoked 2026-10-01


@pytest.mark.parametrize("extra, expected", [
    ({"tredjeman": ALFA_TM}, [ORGNR]),
    ({"tredjeman": BETA_TM}, []),  # only the expired mandate is for Betaverket
    ({"tredjeman": "2021005463"}, []),
    ({"fullmaktsgivare": {"id": ORGNR, "typ": "orgnr"}}, [ORGNR]),
    ({"fullmaktsgivare": {"id": ORGNR, "typ": "pnr"}}, []),  # same digits, other identity type
    ({"fullmaktsgivare": {"id": PERSON, "typ": "pnr"}}, []),  # revoked
    ({"behorigheter": ["ALFA.MOMS"]}, [ORGNR]),
    ({"behorigheter": ["ALFA.MOMS", "BETA"]}, [ORGNR]),
    ({"behorigheter": ["ALFA"]}, []),  # exact codes: ALFA was only in the revoked mandate
    ({"behorigheter": ["BETA"]}, []),  # only in the expired mandate
    ({"behorigheter": []}, [ORGNR]),  # empty means every code
    ({"tredjeman": ALFA_TM, "fullmaktsgivare": {"id": ORGNR, "typ": "orgnr"}, "behorigheter": ["ALFA.MOMS"]}, [ORGNR]),
])
def test_filters(clean_world, extra, expected):
    answer = sok(clean_world, **extra)
    assert givers(answer) == expected
    assert answer["page"]["totalElements"] == len(expected)
    assert answer["page"]["totalPages"] == (1 if expected else 0)


def test_someone_without_mandates_gets_an_empty_page(clean_world):
    answer = sok(clean_world, holder=SIGNATORY)
    assert answer == {"fullmaktsgivare": [], "page": {"size": 20, "number": 0, "totalElements": 0, "totalPages": 0}}


# --- paging --------------------------------------------------------------------------------------------------


def several_grantors() -> list[dict]:
    return [
        mandate("m-org-1", (make_orgnr("556000001"), "orgnr"), "ALFA.MOMS", namn="Ett AB"),
        mandate("m-org-2", (make_orgnr("556000002"), "orgnr"), "ALFA.MOMS", namn="Två AB"),
        mandate("m-org-3", (make_orgnr("556000003"), "orgnr"), "ALFA.ARBETSGIVARE", namn="Tre AB"),
        mandate("m-person", (make_personnummer("19700101", "123"), "pnr"), "ALFA", namn="Privatperson"),
        mandate("m-other-holder", (make_orgnr("556000004"), "orgnr"), "ALFA", holder=SIGNATORY),
    ]


def test_paging_with_size_one(own_registry):
    load(own_registry, several_grantors())
    everything = givers(sok(own_registry))
    assert len(everything) == 4 and len(set(everything)) == 4

    pages = [sok(own_registry, page={"page": n, "size": 1}) for n in range(5)]
    for n, page in enumerate(pages):
        assert page["page"] == {"size": 1, "number": n, "totalElements": 4, "totalPages": 4}
    assert givers(pages[0]) != givers(pages[1])
    assert [g for p in pages[:4] for g in givers(p)] == everything  # every grantor once, in a stable order
    assert pages[4]["fullmaktsgivare"] == []  # past the end: empty, totals still right


def test_paging_with_a_page_size_that_does_not_divide(own_registry):
    load(own_registry, several_grantors())
    first, second = (sok(own_registry, page={"page": n, "size": 3}) for n in (0, 1))
    assert first["page"]["totalPages"] == second["page"]["totalPages"] == 2
    assert len(first["fullmaktsgivare"]) == 3 and len(second["fullmaktsgivare"]) == 1
    assert not set(givers(first)) & set(givers(second))


def test_filter_applies_before_paging(own_registry):
    load(own_registry, several_grantors())
    answer = sok(own_registry, behorigheter=["ALFA.MOMS"], page={"page": 1, "size": 1})
    assert answer["page"]["totalElements"] == 2 and answer["page"]["totalPages"] == 2
    assert givers(answer) == [make_orgnr("556000002")]


# --- validity today ------------------------------------------------------------------------------------------


def test_only_mandates_valid_today_count(own_registry):
    giver = (ORGNR, "orgnr")
    load(own_registry, [
        mandate("ends-today", giver, "ALFA.A", giltig_tom=TODAY),
        mandate("ended-yesterday", giver, "ALFA.B", giltig_tom=YESTERDAY, giltig_from=LONG_AGO),
        mandate("starts-today", giver, "ALFA.C", giltig_from=TODAY),
        mandate("starts-tomorrow", giver, "ALFA.D", giltig_from=TOMORROW),
        mandate("revoked-today", giver, "ALFA.E", aterkallad=TODAY),
        mandate("revoked-tomorrow", giver, "ALFA.F", aterkallad=TOMORROW),
    ])
    [entry] = sok(own_registry)["fullmaktsgivare"]
    assert {(b["kod"], b["fullmakt"]) for b in entry["behorigheter"]} == {
        ("ALFA.A", "ends-today"), ("ALFA.C", "starts-today"), ("ALFA.F", "revoked-tomorrow")}


@pytest.mark.parametrize("dates, visible", [
    ({"giltig_tom": TODAY}, True),
    ({"giltig_from": TOMORROW}, False),
    ({"aterkallad": TODAY}, False),
])
def test_producer_applies_the_same_validity(own_registry, dates, visible):
    """What a producer notices: the accountant sees the company's VAT event only on a mandate valid today."""
    load(own_registry, [mandate("m", (ORGNR, "orgnr"), "ALFA.MOMS", **dates)])
    body = {"fraga": {"parter": [{"kund": {"identifierare": "16" + ORGNR, "typ": "Organisationsnummer"}}]},
            "anvandare": ACCOUNTANT}
    r = own_registry.query("/alfa/kundhandelseFragaSynkron", body)
    if visible:
        assert r.status_code == 200
        assert [e["kundhandelseId"] for e in r.json()["kundhandelser"][0]["kundhandelserForPart"]] == ["alfa-6"]
    else:
        assert r.status_code == 403


def test_passiv_only_is_reported_as_passiv(own_registry):
    load(own_registry, [mandate("p", (ORGNR, "orgnr"), "ALFA.MOMS", typer=("passiv",))])
    [entry] = sok(own_registry)["fullmaktsgivare"]
    assert entry["behorigheter"] == [{"kod": "ALFA.MOMS", "typ": "passiv", "fullmakt": "p"}]


# --- refusals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {},
    {"fullmaktshavare": {"id": ACCOUNTANT}},
    {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "passport"}},
    {"fullmaktshavare": {"id": "1966010134", "typ": "pnr"}, "tredjeman": "162021005448"},
    {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}, "page": {"page": 0, "size": 0}},
    {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}, "page": {"page": 0, "size": 101}},
    {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}, "page": {"page": -1, "size": 10}},
    {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}, "behorigheter": "ALFA"},
    {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}, "extra": 1},
    [],
    "{not json",
])
def test_invalid_question_is_400(clean_world, body):
    r = post(clean_world, SOK, body)
    assert r.status_code == 400, r.text
    assert schemas.problems("fel", r.json()) == [] and r.json()["message"]


def test_invalid_identity_is_not_echoed(clean_world):
    bad = "19660101345X"
    r = post(clean_world, SOK, {"fullmaktshavare": {"id": bad, "typ": "pnr"}})
    assert r.status_code == 400
    assert "fullmaktshavare" in r.json()["message"] and bad not in r.text


@pytest.mark.parametrize("path, body", [
    (SOK, {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}}),
    (FIRMA, {"pnr": SIGNATORY}),
])
def test_key_and_content_type_are_checked(clean_world, path, body):
    assert post(clean_world, path, body, key=None).status_code == 401
    assert post(clean_world, path, body, key="wrong-key-wrong-key-wrong-key-wrong-key").status_code == 401
    wrong_type = post(clean_world, path, json.dumps(body), content_type="text/plain")
    assert wrong_type.status_code == 415
    for r in (wrong_type, post(clean_world, path, body, key=None)):
        assert schemas.problems("fel", r.json()) == []


# --- firmatecknare --------------------------------------------------------------------------------------------


def test_signatory_gets_the_company(clean_world):
    for pnr in (SIGNATORY, "19850412-4564"):
        r = post(clean_world, FIRMA, {"pnr": pnr})
        assert r.status_code == 200, r.text
        assert r.json() == {"firmatecknare": [{"orgnr": ORGNR, "namn": "Test AB"}]}


@pytest.mark.parametrize("pnr", [ACCOUNTANT, PERSON])
def test_others_sign_for_nothing(clean_world, pnr):
    r = post(clean_world, FIRMA, {"pnr": pnr})
    assert r.status_code == 200 and r.json() == {"firmatecknare": []}


@pytest.mark.parametrize("body", [
    {"pnr": "198504124565"},  # wrong check digit
    {"pnr": "198513324564"},  # no such date
    {"pnr": "1985041245"},
    {"pnr": 198504124564},
    {},
    "{not json",
])
def test_invalid_pnr_is_400_without_echoing_it(clean_world, body):
    r = post(clean_world, FIRMA, body)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert message.startswith("pnr")
    for digits in ("198504124565", "8504124565", "198513324564", "1985041245"):
        assert digits not in r.text


def test_signatory_rows_follow_a_replaced_registry(own_registry):
    other = make_orgnr("556000009")
    load(own_registry, [], firmatecknare=[{"orgnr": other, "pnr": ACCOUNTANT, "namn": "Nio AB"}])
    assert post(own_registry, FIRMA, {"pnr": ACCOUNTANT}).json() == {"firmatecknare": [{"orgnr": other, "namn": "Nio AB"}]}
    assert post(own_registry, FIRMA, {"pnr": SIGNATORY}).json() == {"firmatecknare": []}
    assert sok(own_registry)["fullmaktsgivare"] == []


def test_registry_is_restored_for_later_tests(clean_world):
    """Guards the ``own_registry`` teardown: the fixture registry answers as the fixture file says."""
    assert givers(sok(clean_world)) == [ORGNR]
    assert post(clean_world, FIRMA, {"pnr": SIGNATORY}).json()["firmatecknare"][0]["orgnr"] == ORGNR
