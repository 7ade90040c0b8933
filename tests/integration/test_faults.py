"""Latency and fault knobs, as a consumer talking to ``/alfa/kundhandelseFragaSynkron`` notices them.

Knobs are set through ``PUT /_admin/faults/<slug>`` (``clean_world`` resets them
around each test) or by start-up flags (a separate server below).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import uuid
from pathlib import Path

import ombudtools
import pytest
import requests

from mock_producers.faults import FaultBoard, Knob
from mock_producers.state import DEMO_ADMIN_KEY, DEMO_API_KEY
from portal.standard import schemas
from portal.standard.models import safe_link
from portal.standard.response import InvalidResponse, parse_response

pytestmark = pytest.mark.integration

FIXTURE_WORLD = Path(__file__).resolve().parents[1] / "fixtures" / "world"
Q = "/alfa/kundhandelseFragaSynkron"
PERSON = "199009091233"
ORG = "165590001235"
SIGNATORY = "198504124564"
ALFA_IDS = ["alfa-4", "alfa-3", "alfa-2", "alfa-1", "alfa-5"]
KNOB_DEFAULTS = {"latency_ms": 0.0, "jitter_ms": 0.0, "fault": "none", "timeout_s": 30.0, "oversized_mb": 20.0,
                 "trickle_ms": 200.0, "held": False}


def person_query(**fraga) -> dict:
    return {"fraga": {"parter": [{"kund": {"identifierare": PERSON, "typ": "Personnummer"}}], **fraga},
            "anvandare": PERSON}


def org_query() -> dict:
    return {"fraga": {"parter": [{"kund": {"identifierare": ORG, "typ": "Organisationsnummer"}}]},
            "anvandare": SIGNATORY}


def post(world, body=None, *, path: str = Q, timeout: float = 10, stream: bool = False) -> requests.Response:
    """A consumer's call on its own connection (a fault may kill a pooled one)."""
    headers = {"X-API-Key": DEMO_API_KEY, "skv_client_correlation_id": str(uuid.uuid4()),
               "Content-Type": "application/json"}
    return requests.post(world.url + path, data=json.dumps(body or person_query()), headers=headers,
                         timeout=timeout, stream=stream)


def set_knob(world, slug: str = "alfa", **settings) -> dict:
    r = world.admin("PUT", f"/faults/{slug}", settings)
    assert r.status_code == 200, r.text
    return r.json()


def event_ids(response) -> list[str]:
    return [e["kundhandelseId"] for e in response.json()["kundhandelser"][0]["kundhandelserForPart"]]


def timed(fn):
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def wait_for_requests(world, slug: str, count: int, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if world.admin("GET", "/stats").json().get(slug, {}).get("requests", 0) >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"{slug} never delivered its late answer")


# --- each fault ----------------------------------------------------------------------------------------------


def test_no_knob_is_a_good_answer(clean_world):
    assert clean_world.admin("GET", "/faults").json()["alfa"] == KNOB_DEFAULTS
    r = post(clean_world)
    assert r.status_code == 200 and event_ids(r) == ALFA_IDS


def test_latency(clean_world):
    knob = set_knob(clean_world, latency_ms=300)
    assert knob == KNOB_DEFAULTS | {"latency_ms": 300}
    r, elapsed = timed(lambda: post(clean_world))
    assert r.status_code == 200 and event_ids(r) == ALFA_IDS
    # A floor, not a speed: the answer cannot come before the latency the knob adds, on any machine.
    assert elapsed >= knob["latency_ms"] / 1000


def test_the_latency_runs_from_when_the_question_came():
    board = FaultBoard(["alfa"])
    board.set("alfa", {"latency_ms": 300})
    asked = time.monotonic() - 0.2  # the question came 200 ms before its handler got to it
    _, due = board.begin("alfa", asked)
    assert due == pytest.approx(asked + 0.3)
    _, due_now = board.begin("alfa")  # no time of arrival known: from now
    assert due_now >= asked + 0.2 + 0.3


def test_an_agency_counts_its_latency_from_the_first_byte_of_the_question(clean_world):
    # The question comes in two parts 500 ms apart; the agency can only read it whole after the second. Counted from
    # the first byte, the answer is due 1 s after it, 0.5 s after the second part; counted from the moment the
    # question was read, it could not come before 1 s after the second part (half a second to spare either way).
    set_knob(clean_world, latency_ms=1000)
    body = json.dumps(person_query()).encode()
    head = (f"POST {Q} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {DEMO_API_KEY}\r\n"
            f"skv_client_correlation_id: {uuid.uuid4()}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    host, port = clean_world.url.split("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        first = time.monotonic()
        sock.sendall(head[:10])
        time.sleep(0.5)
        rest = time.monotonic()
        sock.sendall(head[10:] + body)
        answer = sock.recv(1 << 16)
        answered = time.monotonic()
        while chunk := sock.recv(1 << 16):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    assert first + 1.0 <= answered < rest + 1.0


def test_jitter_stays_in_its_band():
    knob = Knob(latency_ms=100, jitter_ms=100)
    delays = [knob.delay_s(random.Random(seed)) for seed in range(200)]
    assert all(0.1 <= d <= 0.2 for d in delays)
    assert len(set(delays)) > 100  # it does jitter


def test_held_answers_wait_for_release_and_the_knob_is_per_producer(clean_world):
    set_knob(clean_world, held=True, timeout_s=60)
    answers = []
    asking = threading.Thread(target=lambda: answers.append(post(clean_world)))
    asking.start()
    try:
        # Betaverket answers while Alfaverket's answer is held: knobs are per producer.
        beta = post(clean_world, path="/beta/kundhandelseFragaSynkron")
        assert beta.status_code == 200
        assert answers == []  # Alfaverket has still not answered
    finally:
        set_knob(clean_world, held=False)
        asking.join(timeout=20)
    assert [a.status_code for a in answers] == [200] and event_ids(answers[0]) == ALFA_IDS


def test_down_closes_the_connection_without_an_answer(clean_world):
    set_knob(clean_world, fault="down")
    with pytest.raises(requests.ConnectionError):
        post(clean_world)


def test_error500(clean_world):
    set_knob(clean_world, fault="error500")
    r = post(clean_world)
    assert r.status_code == 500
    assert schemas.problems("fel", r.json()) == [] and r.json()["message"]


def test_timeout(clean_world):
    set_knob(clean_world, fault="timeout", timeout_s=1.5)
    with pytest.raises(requests.Timeout):
        post(clean_world, timeout=1)
    wait_for_requests(clean_world, "alfa", 1, deadline_s=5)  # the late answer, so it leaks into no other test


def test_malformed_is_200_with_a_body_that_is_not_json(clean_world):
    set_knob(clean_world, fault="malformed")
    r = post(clean_world)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(r.content)
    with pytest.raises(InvalidResponse):
        parse_response(r.content)


def test_invalid_events_are_reported_one_by_one_and_the_good_ones_kept(clean_world):
    set_knob(clean_world, fault="invalid_events")
    r = post(clean_world)
    assert r.status_code == 200
    parsed = parse_response(r.content)
    assert [e.kundhandelse_id for e in parsed.events] == ALFA_IDS  # every good event, in order
    assert parsed.parts[0].total == 5
    by_id = {p.kundhandelse_id: " ".join(p.messages) for p in parsed.problems}
    assert set(by_id) == {"invalid-no-rubrik", "invalid-type", "invalid-time", "invalid-flag", None}
    assert "rubrik" in by_id["invalid-no-rubrik"]
    assert "kundhandelseTyp" in by_id["invalid-type"]
    assert "tidpunkt" in by_id["invalid-time"]
    assert "producentarendetKlart" in by_id["invalid-flag"]
    assert all(p.part_index == 0 for p in parsed.problems)
    assert sorted(p.event_index for p in parsed.problems) == [1, 3, 5, 7, 9]  # mixed in between the good ones


def test_foreign_events_bring_another_customers_event(clean_world):
    set_knob(clean_world, fault="foreign_events")
    r = post(clean_world, org_query())
    assert r.status_code == 200
    parsed = parse_response(r.content)
    asked = parsed.parts[0].part.kund
    foreign = [e for e in parsed.events if not asked.covers(e.part.kund)]
    assert [e.kundhandelse_id for e in foreign] == ["foreign-1"]
    assert sorted(e.kundhandelse_id for e in parsed.events if asked.covers(e.part.kund)) == ["alfa-6", "alfa-7"]


def test_foreign_events_are_foreign_for_every_asked_customer(clean_world):
    set_knob(clean_world, fault="foreign_events")
    parsed = parse_response(post(clean_world).content)
    asked = parsed.parts[0].part.kund
    assert [e.kundhandelse_id for e in parsed.events if not asked.covers(e.part.kund)] == ["foreign-1"]


MIB = 1024 * 1024


def read_streamed(response, cap: int) -> tuple[int, bool]:
    """(bytes received up to ``cap``, whether the stream ended properly)."""
    received = 0
    try:
        for chunk in response.iter_content(64 * 1024):
            received += len(chunk)
            if received > cap:
                return received, True
    except requests.exceptions.ChunkedEncodingError:
        return received, False
    return received, True


def test_oversized_streams_more_than_asked_for(clean_world):
    set_knob(clean_world, fault="oversized", oversized_mb=2)
    with post(clean_world, stream=True) as r:
        assert r.status_code == 200
        assert "Content-Length" not in r.headers  # the consumer cannot tell the size up front
        received, _ = read_streamed(r, cap=4 * MIB)
    assert 2 * MIB < received <= 4 * MIB + 64 * 1024


def test_oversized_stream_ends_properly_and_is_counted(clean_world):
    set_knob(clean_world, fault="oversized", oversized_mb=1)
    with post(clean_world, stream=True) as r:
        received, complete = read_streamed(r, cap=64 * MIB)
    assert complete
    assert clean_world.admin("GET", "/stats").json().get("alfa") == {"requests": 1, "bytes_sent": received}


def test_duplicates_send_every_event_twice(clean_world):
    set_knob(clean_world, fault="duplicates")
    r = post(clean_world)
    assert r.status_code == 200
    assert event_ids(r) == [i for i in ALFA_IDS for _ in (0, 1)]
    assert r.json()["kundhandelser"][0]["totaltAntalKundhandelser"] == 5


def test_hostile_texts_and_links(clean_world):
    set_knob(clean_world, fault="hostile")
    r = post(clean_world)
    assert r.status_code == 200
    raw = r.json()["kundhandelser"][0]["kundhandelserForPart"]
    assert [e["kundhandelseId"] for e in raw] == ALFA_IDS
    for e in raw:
        assert "<script>" in e["rubrik"] and "<script>" in e["beskrivning"]
        assert e["referenser"]["lank"].startswith("javascript:")
        assert safe_link(e["referenser"]["lank"]) is None
        assert safe_link(e["referenser"]["alternativ"]) is None
    parsed = parse_response(r.content)  # schema-valid: the consumer must escape, not drop
    assert parsed.problems == []
    assert all(e.link is None for e in parsed.events)


def test_fault_on_the_registry(clean_world):
    set_knob(clean_world, "minaombud", fault="error500")
    r = clean_world.http.post(clean_world.url + ombudtools.BASE + "/sok/behorigheter",
                              json={"fullmaktshavare": {"id": "196601013458", "typ": "pnr"},
                                    "tredjeman": "2021005448", "behorigheter": []}, timeout=10)
    assert r.status_code == 500 and r.json()["message"]
    assert post(clean_world).status_code == 200  # producers unaffected
    assert ombudtools.firma(clean_world, "198504124564").status_code == 200  # the signatory source too


def test_fault_on_the_signatory_source_leaves_the_registry_alone(clean_world):
    set_knob(clean_world, "foretagsdata", fault="error500")
    assert ombudtools.firma(clean_world, "198504124564").status_code == 500
    set_knob(clean_world, "minaombud", fault="none")
    assert ombudtools.sok(clean_world, "196601013458", "2021005448").status_code == 200


# --- the knob API ----------------------------------------------------------------------------------------------


def test_unknown_fault_is_400(clean_world):
    r = clean_world.admin("PUT", "/faults/alfa", {"fault": "meltdown"})
    assert r.status_code == 400 and "meltdown" in r.json()["message"]
    assert clean_world.admin("GET", "/faults").json()["alfa"] == KNOB_DEFAULTS


def test_unknown_producer_is_404(clean_world):
    r = clean_world.admin("PUT", "/faults/gamma", {"fault": "error500"})
    assert r.status_code == 404 and schemas.problems("fel", r.json()) == []
    assert "gamma" not in clean_world.admin("GET", "/faults").json()


@pytest.mark.parametrize("settings", [
    {"latency_ms": -1},
    {"latency_ms": "300ms"},
    {"latency_ms": True},
    {"timeout_s": 600_001},
    {"speed": "fast"},
])
def test_invalid_knob_settings_are_400(clean_world, settings):
    r = clean_world.admin("PUT", "/faults/alfa", settings)
    assert r.status_code == 400, r.text
    assert clean_world.admin("GET", "/faults").json()["alfa"] == KNOB_DEFAULTS


@pytest.mark.parametrize("body", [[], "error500", None])
def test_knob_body_must_be_an_object(clean_world, body):
    r = clean_world.http.put(clean_world.url + "/_admin/faults/alfa", data=json.dumps(body),
                             headers={"X-Admin-Key": DEMO_ADMIN_KEY, "Content-Type": "application/json"},
                             timeout=10)
    assert r.status_code == 400


@pytest.mark.parametrize("name", ["slug", "self"])
def test_setting_named_like_a_parameter_is_400(clean_world, name):
    r = clean_world.admin("PUT", "/faults/alfa", {name: "x"})
    assert r.status_code == 400


def test_delete_resets_every_knob(clean_world):
    set_knob(clean_world, "alfa", fault="error500", latency_ms=250)
    set_knob(clean_world, "beta", fault="duplicates")
    knobs = clean_world.admin("GET", "/faults").json()
    assert knobs["alfa"]["fault"] == "error500" and knobs["beta"]["fault"] == "duplicates"
    assert post(clean_world).status_code == 500

    r = clean_world.admin("DELETE", "/faults")
    assert r.status_code == 200
    assert r.json() == {slug: KNOB_DEFAULTS for slug in ("alfa", "beta", "foretagsdata", "minaombud")}
    answer = post(clean_world)
    assert answer.status_code == 200 and event_ids(answer) == ALFA_IDS
    beta = post(clean_world, path="/beta/kundhandelseFragaSynkron")
    assert [e["kundhandelseId"] for e in beta.json()["kundhandelser"][0]["kundhandelserForPart"]] == ["beta-1"]


def test_knobs_accumulate_per_setting(clean_world):
    set_knob(clean_world, latency_ms=50)
    knob = set_knob(clean_world, fault="duplicates")
    assert knob["latency_ms"] == 50 and knob["fault"] == "duplicates"


# --- start-up flags ------------------------------------------------------------------------------------------


@pytest.fixture()
def flagged_world(world):
    """A second server started with knob flags (the harness's MockWorld class, taken from ``world``)."""
    w = type(world)("--data", str(FIXTURE_WORLD), "--latency", "alfa=200ms", "--fault", "beta=error500")
    yield w
    w.stop()


def test_startup_flags_are_applied(flagged_world):
    knobs = flagged_world.admin("GET", "/faults").json()
    assert knobs["alfa"] == KNOB_DEFAULTS | {"latency_ms": 200}
    assert knobs["beta"] == KNOB_DEFAULTS | {"fault": "error500"}

    r, elapsed = timed(lambda: post(flagged_world))
    assert r.status_code == 200 and event_ids(r) == ALFA_IDS
    assert elapsed >= knobs["alfa"]["latency_ms"] / 1000  # a floor: the start-up latency was applied
    assert post(flagged_world, path="/beta/kundhandelseFragaSynkron").status_code == 500

    forwarded = post(flagged_world, path="/vidareformedling/kundhandelseFragaSynkron")
    assert forwarded.status_code == 206
    failed = [d for d in forwarded.json()["delfragor"] if d["status"] == "FEL"]
    assert [(d["producent"], d["httpCode"]) for d in failed] == [("Betaverket", 500)]

    flagged_world.admin("DELETE", "/faults")  # start-up knobs are ordinary knobs
    assert post(flagged_world, path="/beta/kundhandelseFragaSynkron").status_code == 200
