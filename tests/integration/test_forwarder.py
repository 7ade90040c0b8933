"""The forwarder (vidareförmedlingstjänst) over real HTTP: fan-out, merge, paging, partial failure.

Everything here is what a consumer (the portal) sees at
``/vidareformedling/kundhandelseFragaSynkron``, or what the mock producers
behind it can tell (their request counters).
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from portal.standard import schemas
from portal.standard.response import parse_response
from portal.standard.tidpunkt import parse as parse_tidpunkt

pytestmark = pytest.mark.integration

F = "/vidareformedling/kundhandelseFragaSynkron"
PERSON = "199009091233"
ORG = "165590001235"
ACCOUNTANT = "196601013458"
SIGNATORY = "198504124564"
ALFA, BETA = "Alfaverket", "Betaverket"

# Person 199009091233: alfa-1..5 at Alfaverket and beta-1 at Betaverket, newest first.
PERSON_NEWEST_FIRST = ["alfa-4", "alfa-3", "alfa-2", "alfa-1", "alfa-5", "beta-1"]
ALFA_NEWEST_FIRST = ["alfa-4", "alfa-3", "alfa-2", "alfa-1", "alfa-5"]


def kund(identifierare: str) -> dict:
    typ = "Organisationsnummer" if identifierare.startswith("16") else "Personnummer"
    return {"kund": {"identifierare": identifierare, "typ": typ}}


def person_query(anvandare: str = PERSON, **fraga) -> dict:
    return {"fraga": {"parter": [kund(PERSON)], **fraga}, "anvandare": anvandare}


def org_query(anvandare: str, **fraga) -> dict:
    return {"fraga": {"parter": [kund(ORG)], **fraga}, "anvandare": anvandare}


def sorted_by(attribut: str, stigande: bool, offset: int | None = None, limit: int | None = None) -> dict:
    behandling: dict = {"sortering": [{"attribut": attribut, "stigande": stigande}]}
    if limit is not None:
        behandling["paginering"] = {"offset": offset or 0, "limit": limit}
    return {"behandling": behandling}


def ids(response, part: int = 0) -> list[str]:
    return [e["kundhandelseId"] for e in response.json()["kundhandelser"][part]["kundhandelserForPart"]]


def total(response, part: int = 0) -> int:
    return response.json()["kundhandelser"][part]["totaltAntalKundhandelser"]


def delfragor(response) -> dict[str, list[dict]]:
    """The answer's delfragor grouped by producer name."""
    out: dict[str, list[dict]] = {}
    for d in response.json()["delfragor"]:
        out.setdefault(d["producent"], []).append(d)
    return out


def stats(world) -> dict:
    return world.admin("GET", "/stats").json()


def wait_for_requests(world, slug: str, count: int, deadline_s: float) -> None:
    """Wait until ``slug`` has delivered ``count`` answers (a late answer must not leak into later tests)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if stats(world).get(slug, {}).get("requests", 0) >= count:
            return
        time.sleep(0.1)
    pytest.fail(f"{slug} never delivered its late answer")


# --- merging ------------------------------------------------------------------------------------------------


def test_merges_both_producers_answers_for_one_person(clean_world):
    alfa = clean_world.query("/alfa/kundhandelseFragaSynkron", person_query())
    beta = clean_world.query("/beta/kundhandelseFragaSynkron", person_query())
    r = clean_world.query(F, person_query())

    assert r.status_code == 200, r.text
    assert schemas.problems("svar", r.json()) == []
    events = r.json()["kundhandelser"][0]["kundhandelserForPart"]
    assert {e["producent"] for e in events} == {ALFA, BETA}
    assert ids(r) == PERSON_NEWEST_FIRST  # one list, newest first, across producers
    assert sorted(ids(r)) == sorted(ids(alfa) + ids(beta))
    assert total(r) == total(alfa) + total(beta) == 6
    assert r.json()["kundhandelser"][0]["part"] == kund(PERSON)


def test_merged_events_are_newest_first_by_instant_across_offsets(clean_world):
    r = clean_world.query(F, person_query())
    instants = [parse_tidpunkt(e["tidpunkt"]) for e in r.json()["kundhandelser"][0]["kundhandelserForPart"]]
    assert instants == sorted(instants, reverse=True)


def test_merged_list_is_sorted_as_asked(clean_world):
    r = clean_world.query(F, person_query(**sorted_by("TIDPUNKT", True)))
    assert r.status_code == 200
    assert ids(r) == list(reversed(PERSON_NEWEST_FIRST))  # Betaverket's June event comes first

    by_producer = clean_world.query(F, person_query(behandling={"sortering": [
        {"attribut": "PRODUCENT", "stigande": False}, {"attribut": "TIDPUNKT", "stigande": True}]}))
    assert ids(by_producer) == ["beta-1", "alfa-5", "alfa-1", "alfa-2", "alfa-3", "alfa-4"]


def test_merged_list_sorted_by_rubrik_in_swedish_order(clean_world):
    # å, ä, ö come after z, in that order ("Zon" was once sorted after "Åtgärd" and "Ärende").
    r = clean_world.query(F, person_query(**sorted_by("RUBRIK", True)))
    rubriker = [e["rubrik"] for e in r.json()["kundhandelser"][0]["kundhandelserForPart"]]
    assert rubriker == ["Ansökan mottagen", "Ansökan om föräldrapenning mottagen", "Komplettering behövs",
                        "Zon beslut", "Åtgärd registrerad", "Ärende mottaget"]


def test_paging_is_applied_to_the_merged_list(clean_world):
    everything = ids(clean_world.query(F, person_query(**sorted_by("TIDPUNKT", True))))
    pages = []
    for offset in (0, 2, 4, 6):
        r = clean_world.query(F, person_query(**sorted_by("TIDPUNKT", True, offset, 2)))
        assert r.status_code == 200, r.text
        assert total(r) == 6  # totals count before paging, summed over producers
        pages.append(ids(r))
    assert pages[0] == ["beta-1", "alfa-5"]  # one page mixes both producers
    assert pages[1] == ["alfa-1", "alfa-2"]  # page 2 continues page 1: no overlap, no gap
    assert pages[0] + pages[1] + pages[2] == everything
    assert pages[3] == []


def test_paging_newest_first_with_odd_page_size(clean_world):
    first = clean_world.query(F, person_query(**sorted_by("TIDPUNKT", False, 0, 4)))
    second = clean_world.query(F, person_query(**sorted_by("TIDPUNKT", False, 4, 4)))
    assert ids(first) == PERSON_NEWEST_FIRST[:4]
    assert ids(second) == PERSON_NEWEST_FIRST[4:]
    assert not set(ids(first)) & set(ids(second))


def test_paging_beyond_what_the_forwarder_can_merge_is_refused(clean_world):
    r = clean_world.query(F, person_query(**sorted_by("TIDPUNKT", True, 990, 20)))
    assert r.status_code == 400
    assert schemas.problems("fel", r.json()) == []
    ok = clean_world.query(F, person_query(**sorted_by("TIDPUNKT", True, 980, 20)))
    assert ok.status_code == 200 and ids(ok) == [] and total(ok) == 6


def test_two_parts_are_merged_separately_and_all_ok(clean_world):
    body = {"fraga": {"parter": [kund(SIGNATORY), kund(ORG)]}, "anvandare": SIGNATORY}
    r = clean_world.query(F, body)
    assert r.status_code == 200, r.text
    assert schemas.problems("svar", r.json()) == []
    assert ids(r, 0) == ["beta-3"]
    assert ids(r, 1) == ["alfa-7", "alfa-6", "beta-2"]
    assert (total(r, 0), total(r, 1)) == (1, 3)
    d = r.json()["delfragor"]
    assert len(d) == 4  # one per producer and part
    assert all(x["status"] == "OK" and x["httpCode"] == 200 for x in d)
    assert {(x["producent"], x["part"]["kund"]["identifierare"]) for x in d} == {
        (ALFA, SIGNATORY), (ALFA, ORG), (BETA, SIGNATORY), (BETA, ORG)}


def test_no_failure_is_200_with_every_delfraga_ok(clean_world):
    r = clean_world.query(F, person_query())
    assert r.status_code == 200
    d = delfragor(r)
    assert set(d) == {ALFA, BETA}
    assert all(x["status"] == "OK" and x["httpCode"] == 200 for xs in d.values() for x in xs)
    assert parse_response(r.content).problems == []


def test_language_is_passed_on(clean_world):
    r = clean_world.query(F, person_query(), headers={"Accept-Language": "en"})
    by_id = {e["kundhandelseId"]: e for e in r.json()["kundhandelser"][0]["kundhandelserForPart"]}
    assert by_id["alfa-1"]["rubrik"] == "Application received"
    assert r.json()["metadata"]["onskatSprak"] == "en"


def test_producers_are_asked_concurrently(clean_world):
    # Both answers are held: asked one after the other, Betaverket would not hear of the query
    # until Alfaverket had answered, which it cannot.
    for slug in ("alfa", "beta"):
        clean_world.admin("PUT", f"/faults/{slug}", {"held": True, "timeout_s": 60})
    answers, correlation = [], str(uuid.uuid4())
    asking = threading.Thread(target=lambda: answers.append(
        clean_world.query(F, person_query(), correlation=correlation, timeout=30)))
    asking.start()
    try:
        asked = set()
        for _ in range(200):  # give up after ~10 s
            log = clean_world.output()
            asked = {slug for slug in ("alfa", "beta") if f"query producer={slug} correlation_id={correlation}" in log}
            if asked == {"alfa", "beta"}:
                break
            time.sleep(0.05)
        assert asked == {"alfa", "beta"}
        assert answers == []
    finally:
        clean_world.admin("DELETE", "/faults")
        asking.join(timeout=30)
    assert [r.status_code for r in answers] == [200]


# --- partial failure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault, code", [("down", 502), ("error500", 500)])
def test_failed_producer_gives_206_naming_it_and_keeps_the_others_events(clean_world, fault, code):
    clean_world.admin("PUT", "/faults/beta", {"fault": fault})
    r = clean_world.query(F, person_query())

    assert r.status_code == 206, r.text
    assert schemas.problems("svar", r.json()) == []
    d = delfragor(r)
    assert [(x["status"], x["httpCode"]) for x in d[BETA]] == [("FEL", code)]
    assert d[BETA][0]["part"] == kund(PERSON) and d[BETA][0]["message"]
    assert [(x["status"], x["httpCode"]) for x in d[ALFA]] == [("OK", 200)]
    assert ids(r) == ALFA_NEWEST_FIRST  # Alfaverket's events are all still there
    assert total(r) == 5
    parsed = parse_response(r.content)
    assert parsed.problems == [] and len(parsed.events) == 5


def test_producer_that_times_out_is_given_up_after_the_forwarders_own_timeout(clean_world):
    # Betaverket's answer is held far beyond the forwarder's own 5 s timeout: the forwarder answers anyway.
    clean_world.admin("PUT", "/faults/beta", {"held": True, "timeout_s": 60})
    try:
        r = clean_world.query(F, person_query(), timeout=30)
    finally:
        clean_world.admin("DELETE", "/faults")

    assert r.status_code == 206, r.text
    d = delfragor(r)
    assert [(x["status"], x["httpCode"]) for x in d[BETA]] == [("FEL", 504)]
    assert [x["status"] for x in d[ALFA]] == ["OK"]
    assert ids(r) == ALFA_NEWEST_FIRST
    wait_for_requests(clean_world, "beta", 1, deadline_s=5)  # let the late answer finish before the next test


def test_unreadable_producer_answer_is_a_failed_delfraga(clean_world):
    clean_world.admin("PUT", "/faults/alfa", {"fault": "malformed"})
    r = clean_world.query(F, person_query())
    assert r.status_code == 206
    d = delfragor(r)
    assert [(x["status"], x["httpCode"]) for x in d[ALFA]] == [("FEL", 502)]
    assert ids(r) == ["beta-1"]


def test_producer_403_is_a_failed_delfraga_with_its_code(clean_world):
    # The accountant's mandate at Betaverket has expired; at Alfaverket ALFA.MOMS is granted.
    r = clean_world.query(F, org_query(ACCOUNTANT))
    assert r.status_code == 206, r.text
    assert schemas.problems("svar", r.json()) == []
    d = delfragor(r)
    assert [(x["status"], x["httpCode"]) for x in d[BETA]] == [("FEL", 403)]
    assert [(x["status"], x["httpCode"]) for x in d[ALFA]] == [("OK", 200)]
    assert ids(r) == ["alfa-6"] and total(r) == 1


# --- caller checks and the correlation id ---------------------------------------------------------------------


def test_forwarder_needs_the_correlation_id_and_asks_no_producer_without_it(clean_world):
    r = clean_world.query(F, person_query(), correlation=None)
    assert r.status_code == 400
    assert "skv_client_correlation_id" in r.json()["message"]
    assert clean_world.query(F, person_query(), correlation="x" * 201).status_code == 400
    assert stats(clean_world) == {}  # refused before any fan-out


def test_callers_correlation_id_is_passed_on_unchanged(clean_world):
    # Producers insist on 1-200 printable ASCII characters. A 200-character id passes through
    # to both producers only if the forwarder passes the caller's id on as it is (not prefixed,
    # suffixed or dropped): any of those would make the producers answer 400 (a FEL delfraga).
    correlation = ("0123456789 !#$%&'()*+,-./:;<=>?@[]^_`{|}~" * 5)[:200]
    r = clean_world.query(F, person_query(), correlation=correlation)
    assert r.status_code == 200, r.text
    assert all(x["status"] == "OK" for xs in delfragor(r).values() for x in xs)
    assert {slug: s["requests"] for slug, s in stats(clean_world).items()} == {"alfa": 1, "beta": 1}


@pytest.mark.parametrize("key", [None, "wrong-key-wrong-key-wrong-key-wrong-key"])
def test_forwarder_refuses_a_missing_or_wrong_key(clean_world, key):
    r = clean_world.query(F, person_query(), key=key)
    assert r.status_code == 401
    assert schemas.problems("fel", r.json()) == []
    assert stats(clean_world) == {}


def test_forwarder_refuses_an_invalid_question(clean_world):
    cases = [
        clean_world.query(F, "{not json"),
        clean_world.query(F, {"fraga": {"parter": []}, "anvandare": PERSON}),
        clean_world.query(F, person_query(behandling={"paginering": {"offset": 0, "limit": 2}})),
        clean_world.query(F, "<x/>", content_type="application/xml"),
    ]
    assert [c.status_code for c in cases] == [400, 400, 400, 415]
    assert all(schemas.problems("fel", c.json()) == [] for c in cases)
