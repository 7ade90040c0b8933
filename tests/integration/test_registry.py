"""The mock Mina ombud registry over real HTTP, speaking Bolagsverket's consumer API (``dfm_konsument_v1``):
``/minaombud/oauth2/token``, Bearer tokens, ``/minaombud/dfm/formedlare/v1/sok/behorigheter`` with the required
``tredjeman``, ``.../tredjeman/{orgnr}/fullmakter/{id}``; and the signatory source ``/foretagsdata/firmatecknare``.

"Today" is the shared clock's (``portal.standard.clock``), in the tests as in the mock world.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mock_producers.state import DEMO_API_KEY, DEMO_OMBUD_CLIENT_SECRET, DEMO_SIGNATORY_KEY
from portal.standard import clock, schemas
from portal.standard.identity import make_orgnr, make_personnummer

pytestmark = pytest.mark.integration

FIXTURE_REGISTRY = Path(__file__).resolve().parents[1] / "fixtures" / "world" / "minaombud.json"
BASE = "/minaombud/dfm/formedlare/v1"
SOK = BASE + "/sok/behorigheter"
TOKEN = "/minaombud/oauth2/token"
FIRMA = "/foretagsdata/firmatecknare"
CLIENT_ID = "mina-arenden-portal"
ACCOUNTANT = "196601013458"
PERSON = "199009091233"
SIGNATORY = "198504124564"
ORGNR = "5590001235"  # Test AB, as Mina ombud spells it (no 16 prefix)
ALFA_TM = "2021005448"  # Alfaverket, the third party (tredjeman)
BETA_TM = "2021005489"
FM_PASSIV, FM_AKTIV = "a1fa0000-0000-4000-8000-000000000001", "a1fa0000-0000-4000-8000-000000000002"
FM_EXPIRED, FM_REVOKED = "be7a0000-0000-4000-8000-000000000003", "a1fa0000-0000-4000-8000-000000000004"
_today = clock.today()
TODAY, YESTERDAY, TOMORROW = (str(_today + dt.timedelta(days=d)) for d in (0, -1, 1))
LONG_AGO, FAR_AHEAD = str(_today - dt.timedelta(days=330)), str(_today + dt.timedelta(days=400))


def get_token(world, client_id: str = CLIENT_ID, secret: str = DEMO_OMBUD_CLIENT_SECRET, **form):
    data = {"grant_type": "client_credentials", "scope": "fullmakt:hamta", **form}
    return world.http.post(world.url + TOKEN, data=data, auth=(client_id, secret), timeout=10)


def bearer(world) -> str:
    r = get_token(world)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def post(world, path: str, body, *, token: str | None = "auto", content_type: str = "application/json"):
    headers = {"Content-Type": content_type}
    if token == "auto":
        token = bearer(world)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return world.http.post(world.url + path, data=data, headers=headers, timeout=10)


def firma(world, body, *, key: str | None = DEMO_SIGNATORY_KEY, content_type: str = "application/json"):
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["X-API-Key"] = key
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return world.http.post(world.url + FIRMA, data=data, headers=headers, timeout=10)


def sok(world, holder: str = ACCOUNTANT, tredjeman: str = ALFA_TM, **extra):
    body = {"fullmaktshavare": {"id": holder, "typ": "pnr"}, "tredjeman": tredjeman, "behorigheter": [], **extra}
    r = post(world, SOK, body)
    assert r.status_code == 200, r.text
    assert schemas.problems("ombud", r.json(), "SokBehorigheterSvar") == []
    return r.json()


def givers(answer: dict) -> list[str]:
    return [e["fullmaktsgivare"]["id"] for e in answer["fullmaktsgivare"]]


def fixture_registry() -> dict:
    return json.loads(FIXTURE_REGISTRY.read_text(encoding="utf-8"))


def fixture_day(written: str) -> str:
    """A date of the fixture file as served: moved by today minus its referensdatum."""
    moved = clock.today() - dt.date.fromisoformat(fixture_registry()["referensdatum"])
    return str(dt.date.fromisoformat(written) + moved)


def mandate(mid: str, giver: tuple[str, str], code: str, *, typ: str = "aktiv", tredjeman: str = ALFA_TM,
            holder: str = ACCOUNTANT, giltig_from: str = LONG_AGO, giltig_tom: str = FAR_AHEAD,
            aterkallad: str | None = None, namn: str = "Namn") -> dict:
    """A Fullmakt in the contract's full shape."""
    out = {"id": mid, "ursprung": {"mall": "standard"}, "rubrik": f"Fullmakt {mid}", "beskrivning": "Fullmakt.",
           "giltigFrom": giltig_from, "giltigTom": giltig_tom,
           "skapare": {"id": holder, "typ": "pnr", "namn": "Eva"}, "skapadTidpunkt": giltig_from + "T09:00:00Z",
           "transportfullmakt": False,
           "fullmaktsgivare": {"id": giver[0], "typ": giver[1], "namn": namn,
                               "roll": "ORGANISATION" if giver[1] == "orgnr" else "PRIVAT"},
           "fullmaktshavare": [{"id": holder, "typ": "pnr", "namn": "Eva"}],
           "tredjeman": {"id": tredjeman, "namn": "Alfaverket"}, "signatarer": [],
           "behorigheter": [{"behorighetsobjekt": {"kod": code, "rubrik": code, "typer": [
               {"typ": t, "rubrik": t, "vald": t == typ, "niva": n} for t, n in (("aktiv", 2), ("passiv", 1))]}}]}
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


# --- OAuth2 client credentials and Bearer tokens ----------------------------------------------------------


def test_token_for_the_right_client_and_scope(clean_world):
    r = get_token(clean_world)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["scope"] == "fullmakt:hamta"
    # the secret may also come in the form (client_secret_post)
    form = clean_world.http.post(clean_world.url + TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": DEMO_OMBUD_CLIENT_SECRET}, timeout=10)
    assert form.status_code == 200 and form.json()["access_token"] != body["access_token"]


@pytest.mark.parametrize("kwargs,status,error", [
    ({"secret": "wrong-secret-0123456789abcdef0123456789"}, 401, "invalid_client"),
    ({"client_id": "someone-else"}, 401, "invalid_client"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"scope": "fullmakt:aterkalla"}, 400, "invalid_scope"),
])
def test_token_refusals_follow_rfc_6749(clean_world, kwargs, status, error):
    r = get_token(clean_world, **kwargs)
    assert r.status_code == status and r.json() == {"error": error}
    assert "access_token" not in r.text


@pytest.mark.parametrize("token", [None, "not-a-token", DEMO_API_KEY])
def test_sok_needs_a_bearer_token(clean_world, token):
    body = {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}, "tredjeman": ALFA_TM, "behorigheter": []}
    r = post(clean_world, SOK, body, token=token)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    # the producers' API key is not a token either
    r = clean_world.http.post(clean_world.url + SOK, json=body, headers={"X-API-Key": DEMO_API_KEY}, timeout=10)
    assert r.status_code == 401


def test_revoked_tokens_are_refused_until_a_new_one_is_fetched(clean_world):
    old = bearer(clean_world)
    assert clean_world.admin("DELETE", "/registry/tokens").status_code == 200
    body = {"fullmaktshavare": {"id": ACCOUNTANT, "typ": "pnr"}, "tredjeman": ALFA_TM, "behorigheter": []}
    assert post(clean_world, SOK, body, token=old).status_code == 401
    assert post(clean_world, SOK, body).status_code == 200


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
    assert entry["behorigheter"] == [{"kod": "ALFA.MOMS", "typ": "aktiv", "fullmakt": FM_AKTIV}]
    assert entry["_sig"]["signature"] and entry["_sig"]["protected"]


def test_expired_and_revoked_mandates_are_absent(clean_world):
    text = json.dumps(sok(clean_world)) + json.dumps(sok(clean_world, tredjeman=BETA_TM))
    assert FM_EXPIRED not in text and "BETA" not in text  # expired 2026-06-30
    assert FM_REVOKED not in text and PERSON not in text  # revoked 2026-10-01


@pytest.mark.parametrize("extra, expected", [
    ({}, [ORGNR]),
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
    ({"fullmaktsgivare": {"id": ORGNR, "typ": "orgnr"}, "behorigheter": ["ALFA.MOMS"]}, [ORGNR]),
])
def test_filters(clean_world, extra, expected):
    answer = sok(clean_world, **extra)
    assert givers(answer) == expected
    assert answer["page"]["totalElements"] == len(expected)
    assert answer["page"]["totalPages"] == (1 if expected else 0)


def test_someone_without_mandates_gets_an_empty_page(clean_world):
    answer = sok(clean_world, holder=SIGNATORY)
    assert answer == {"fullmaktsgivare": [], "page": {"size": 20, "number": 0, "totalElements": 0, "totalPages": 0}}


def test_grantors_come_sorted_by_name_and_a_person_has_fornamn(own_registry):
    person = make_personnummer("19700101", "123")
    fullmakter = [mandate("m-b", (make_orgnr("556000001"), "orgnr"), "ALFA.MOMS", namn="Östra AB"),
                  mandate("m-a", (person, "pnr"), "ALFA", namn="Andersson"),
                  mandate("m-c", (make_orgnr("556000002"), "orgnr"), "ALFA", namn="Bryggan AB")]
    fullmakter[1]["fullmaktsgivare"]["fornamn"] = "Anna"
    load(own_registry, fullmakter)
    entries = sok(own_registry)["fullmaktsgivare"]
    assert [e["fullmaktsgivare"]["namn"] for e in entries] == ["Andersson", "Bryggan AB", "Östra AB"]
    assert entries[0]["fullmaktsgivare"]["fornamn"] == "Anna" and entries[0]["fullmaktsgivare"]["roll"] == "PRIVAT"


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


def test_a_mandate_without_giltig_tom_is_open_ended(own_registry):
    m = mandate("open", (ORGNR, "orgnr"), "ALFA.MOMS")
    del m["giltigTom"]
    load(own_registry, [m])
    assert givers(sok(own_registry)) == [ORGNR]


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
    load(own_registry, [mandate("p", (ORGNR, "orgnr"), "ALFA.MOMS", typ="passiv")])
    [entry] = sok(own_registry)["fullmaktsgivare"]
    assert entry["behorigheter"] == [{"kod": "ALFA.MOMS", "typ": "passiv", "fullmakt": "p"}]


# --- refusals ------------------------------------------------------------------------------------------------

HOLDER = {"id": ACCOUNTANT, "typ": "pnr"}


@pytest.mark.parametrize("body", [
    {},
    {"fullmaktshavare": HOLDER, "behorigheter": []},  # tredjeman is required
    {"fullmaktshavare": HOLDER, "tredjeman": ALFA_TM},  # behorigheter is required ([] = all)
    {"tredjeman": ALFA_TM, "behorigheter": []},
    {"fullmaktshavare": {"id": ACCOUNTANT}, "tredjeman": ALFA_TM, "behorigheter": []},
    {"fullmaktshavare": HOLDER, "tredjeman": "16" + ALFA_TM, "behorigheter": []},  # 10 digits, no 16 prefix
    {"fullmaktshavare": HOLDER, "tredjeman": ALFA_TM, "behorigheter": [], "page": {"page": 0, "size": 0}},
    {"fullmaktshavare": HOLDER, "tredjeman": ALFA_TM, "behorigheter": [], "page": {"page": -1, "size": 10}},
    {"fullmaktshavare": HOLDER, "tredjeman": ALFA_TM, "behorigheter": "ALFA"},
    [],
    "{not json",
])
def test_invalid_question_is_400(clean_world, body):
    r = post(clean_world, SOK, body)
    assert r.status_code == 400, r.text
    assert schemas.problems("fel", r.json()) == [] and r.json()["message"]


def test_invalid_identity_is_not_echoed(clean_world):
    bad = "19660101345X"
    r = post(clean_world, SOK, {"fullmaktshavare": {"id": bad}, "tredjeman": ALFA_TM, "behorigheter": []})
    assert r.status_code == 400
    assert "fullmaktshavare" in r.json()["message"] and bad not in r.text


def test_content_type_is_checked(clean_world):
    body = {"fullmaktshavare": HOLDER, "tredjeman": ALFA_TM, "behorigheter": []}
    r = post(clean_world, SOK, json.dumps(body), content_type="text/plain")
    assert r.status_code == 415 and schemas.problems("fel", r.json()) == []


def test_signatory_source_checks_its_own_key(clean_world):
    assert firma(clean_world, {"pnr": SIGNATORY}, key=None).status_code == 401
    assert firma(clean_world, {"pnr": SIGNATORY}, key=DEMO_API_KEY).status_code == 401  # not the producers' key
    # and the registry's token is no key for it
    r = clean_world.http.post(clean_world.url + FIRMA, json={"pnr": SIGNATORY},
                              headers={"Authorization": f"Bearer {bearer(clean_world)}"}, timeout=10)
    assert r.status_code == 401


# --- fullmakter/{id} -----------------------------------------------------------------------------------------


def hamta(world, tredjeman: str, fullmakt_id: str, token: str | None = "auto"):
    token = bearer(world) if token == "auto" else token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return world.http.get(f"{world.url}{BASE}/tredjeman/{tredjeman}/fullmakter/{fullmakt_id}", headers=headers,
                          timeout=10)


def test_one_whole_mandate_in_the_contract_shape(clean_world):
    r = hamta(clean_world, ALFA_TM, FM_AKTIV)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert schemas.problems("ombud", doc, "FullmaktSvar") == []
    fullmakt = doc["fullmakt"]
    assert fullmakt["id"] == FM_AKTIV and fullmakt["tredjeman"]["id"] == ALFA_TM
    assert fullmakt["giltigFrom"] == fixture_day("2026-01-01") and fullmakt["giltigTom"] == fixture_day("2027-12-31")
    [objekt] = [b["behorighetsobjekt"] for b in fullmakt["behorigheter"]]
    assert objekt["kod"] == "ALFA.MOMS" and [t["typ"] for t in objekt["typer"] if t["vald"]] == ["aktiv"]
    assert doc["metadata"]["referensnummer"].startswith("MOF")
    assert "aterkallad" not in fullmakt and "aterkallad" not in doc["metadata"]


def test_a_revoked_mandate_says_so_in_its_metadata(clean_world):
    doc = hamta(clean_world, ALFA_TM, FM_REVOKED).json()
    assert doc["metadata"]["aterkallad"]["datum"].startswith(fixture_day("2026-10-01"))
    assert doc["metadata"]["referensnummer"].startswith("MOP")


@pytest.mark.parametrize("tredjeman,fullmakt_id", [
    (BETA_TM, FM_AKTIV),  # another agency's mandate is not found through this one
    (ALFA_TM, "00000000-0000-4000-8000-00000000dead"),
])
def test_unknown_mandate_is_404(clean_world, tredjeman, fullmakt_id):
    assert hamta(clean_world, tredjeman, fullmakt_id).status_code == 404


def test_fullmakt_needs_a_bearer_token(clean_world):
    assert hamta(clean_world, ALFA_TM, FM_AKTIV, token=None).status_code == 401


def test_a_file_copied_from_real_answers_loads(own_registry):
    """The answer of fullmakter/{id}, put back as registry data, gives the same answers."""
    copied = [hamta(own_registry, ALFA_TM, m).json()["fullmakt"] for m in (FM_PASSIV, FM_AKTIV)]
    load(own_registry, copied)  # with their _sig, as they came
    [entry] = sok(own_registry)["fullmaktsgivare"]
    assert entry["behorigheter"] == [{"kod": "ALFA.MOMS", "typ": "aktiv", "fullmakt": FM_AKTIV}]


# --- firmatecknare --------------------------------------------------------------------------------------------


def test_signatory_gets_the_company(clean_world):
    for pnr in (SIGNATORY, "19850412-4564"):
        r = firma(clean_world, {"pnr": pnr})
        assert r.status_code == 200, r.text
        assert r.json() == {"firmatecknare": [{"orgnr": ORGNR, "namn": "Test AB"}]}


@pytest.mark.parametrize("pnr", [ACCOUNTANT, PERSON])
def test_others_sign_for_nothing(clean_world, pnr):
    r = firma(clean_world, {"pnr": pnr})
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
    r = firma(clean_world, body)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert message.startswith("pnr")
    for digits in ("198504124565", "8504124565", "198513324564", "1985041245"):
        assert digits not in r.text


def test_signatory_rows_follow_a_replaced_registry(own_registry):
    other = make_orgnr("556000009")
    load(own_registry, [], firmatecknare=[{"orgnr": other, "pnr": ACCOUNTANT, "namn": "Nio AB"}])
    assert firma(own_registry, {"pnr": ACCOUNTANT}).json() == {"firmatecknare": [{"orgnr": other, "namn": "Nio AB"}]}
    assert firma(own_registry, {"pnr": SIGNATORY}).json() == {"firmatecknare": []}
    assert sok(own_registry)["fullmaktsgivare"] == []


def test_registry_is_restored_for_later_tests(clean_world):
    """Guards the ``own_registry`` teardown: the fixture registry answers as the fixture file says."""
    assert givers(sok(clean_world)) == [ORGNR]
    assert firma(clean_world, {"pnr": SIGNATORY}).json()["firmatecknare"][0]["orgnr"] == ORGNR
