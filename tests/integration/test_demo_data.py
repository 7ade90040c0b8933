"""The shipped demo data as `make demo` serves it: valid, and telling the stories the portal shows."""

from __future__ import annotations

import json
from pathlib import Path

import ombudtools
import pytest

from mockworld import credentials

from mock_producers.data import DEMO_DIR
from portal.standard import schemas
from portal.standard.response import parse_response

pytestmark = pytest.mark.integration

PRODUCERS = sorted(p.stem for p in DEMO_DIR.glob("*.json") if p.name != "minaombud.json" and not p.name.startswith("_"))
IDENTITIES = json.loads((DEMO_DIR / "_identiteter.json").read_text(encoding="utf-8"))["identiteter"]


def kund_query(identifierare, typ, anvandare):
    return {"fraga": {"parter": [{"kund": {"identifierare": identifierare, "typ": typ}}]}, "anvandare": anvandare}


def test_there_are_eight_agencies():
    assert len(PRODUCERS) == 8


@pytest.mark.parametrize("slug", PRODUCERS)
def test_everything_a_producer_sends_validates(demo_world, slug):
    for person in IDENTITIES:
        typ = "Samordningsnummer" if int(person["pnr"][6:8]) > 60 else "Personnummer"
        r = demo_world.query(f"/{slug}/kundhandelseFragaSynkron", kund_query(person["pnr"], typ, person["pnr"]))
        assert r.status_code == 200, r.text
        assert schemas.problems("svar", r.json()) == []
        parsed = parse_response(r.content)
        assert parsed.problems == []
        assert all(e.part.kund.identifierare == person["pnr"] for e in parsed.events)


def test_readme_example_query_returns_valid_events(demo_world):
    body = {"fraga": {"parter": [{"kund": {"identifierare": "198504124564", "typ": "Personnummer"}}],
                      "behandling": {"sortering": [{"attribut": "TIDPUNKT", "stigande": True}],
                                     "paginering": {"offset": 0, "limit": 2}}},
            "anvandare": "198504124564"}
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert '"identifierare": "198504124564"' in readme and "kundhandelseFragaSynkron" in readme
    r = demo_world.query("/skatteverket/kundhandelseFragaSynkron", body, headers={"Accept-Language": "sv"})
    assert r.status_code == 200
    assert schemas.problems("svar", r.json()) == []
    page = r.json()["kundhandelser"][0]
    assert len(page["kundhandelserForPart"]) == 2 and page["totaltAntalKundhandelser"] > 2


def test_person_with_no_events_gets_empty_answers(demo_world):
    r = demo_world.query("/vidareformedling/kundhandelseFragaSynkron",
                         kund_query("199511115678", "Personnummer", "199511115678"))
    assert r.status_code == 200
    assert r.json()["kundhandelser"][0]["totaltAntalKundhandelser"] == 0


def test_accountant_mandates_as_the_registry_tells_them(demo_world):
    givers = set()
    for tredjeman in ("2021005448", "2021005489"):  # Skatteverket, Bolagsverket
        r = ombudtools.sok(demo_world, "196601013458", tredjeman, page={"page": 0, "size": 100})
        assert r.status_code == 200, r.text
        givers |= {e["fullmaktsgivare"]["namn"] for e in r.json()["fullmaktsgivare"]}
    assert {"Kustbageriet AB", "Fjällbygg AB", "Bohusläns Ostron AB"} <= givers
    assert not givers & {"Västkust Logistik AB", "Hamnkrogen i Grebbestad AB"}  # expired, revoked


def test_mandate_limited_to_skatteverket(demo_world):
    body = kund_query("165590002340", "Organisationsnummer", "196601013458")  # Kustbageriet AB
    assert demo_world.query("/skatteverket/kundhandelseFragaSynkron", body).status_code == 200
    assert demo_world.query("/bolagsverket/kundhandelseFragaSynkron", body).status_code == 403


def test_every_producer_but_one_has_a_valid_catalog(demo_world):
    with_catalog = []
    for slug in PRODUCERS:
        r = demo_world.http.get(f"{demo_world.url}/{slug}/kundhandelsetyper", headers=credentials(slug))
        if r.status_code == 200:
            assert schemas.problems("katalog", r.json()) == []
            with_catalog.append(slug)
    assert len(with_catalog) == len(PRODUCERS) - 1
