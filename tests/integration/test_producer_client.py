"""``ProducerClient`` against canned answers on real loopback sockets: what counts as a complete answer, the
credentials each agency wants, and the wall-clock deadline (``portal.outbound``) against a trickling agency."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.config import ProducerConfig
from portal.outbound import new_session
from portal.producers import ProducerClient, ProducerFailed
from portal.standard.models import Kund

pytestmark = pytest.mark.integration

PERSON = "199009091233"
KUND = {"kund": {"identifierare": PERSON, "typ": "Personnummer"}}
CORRELATION = "6f1d2c1e-2b9a-4c41-9d35-0c1f3a7c2e10"


def _event(i: int, **extra) -> dict:
    return {"kundhandelseId": f"e{i}", "rubrik": f"Händelse {i}", "producent": "Referenskommunen",
            "tidpunkt": f"2026-09-{i:02d}T10:00:00+02:00", "kundhandelseTyp": "REFKOM.BYGGLOV.MOTTAGEN",
            "producentarendetKraverKundatgard": False, "producentarendetKlart": False, "version": "6.1", **extra}


class Canned:
    """A loopback HTTP server answering every POST with ``status`` and ``body`` (optionally a byte at a time)."""

    def __init__(self, status=200, body=None, trickle_s: float = 0.0):
        self.status, self.body, self.trickle_s = status, body, trickle_s
        self.headers: list[dict] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                canned.headers.append(dict(self.headers))
                data = json.dumps(canned.body).encode()
                self.send_response(canned.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    if canned.trickle_s:
                        for byte in data:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(canned.trickle_s)
                    else:
                        self.wfile.write(data)
                except OSError:
                    pass  # the client gave up

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _fetch(canned: Canned, **config):
    settings = {"slug": "ref", "name": "Referenskommunen", "orgnr": "2120000001", "url": canned.url,
                "api_key": "k" * 40, **config}
    client = ProducerClient(ProducerConfig(**settings), new_session(), page_size=10)
    try:
        return client.fetch(Kund(PERSON, "Personnummer"), PERSON, CORRELATION)
    finally:
        canned.close()


def _answer(events, total=None, delfragor=()):
    return {"kundhandelser": [{"part": KUND, "totaltAntalKundhandelser": len(events) if total is None else total,
                               "kundhandelserForPart": events}],
            "metadata": {"parter": [KUND], "onskatSprak": "sv"}, "delfragor": list(delfragor)}


def test_a_whole_answer_is_complete():
    result = _fetch(Canned(body=_answer([_event(1), _event(2)])))
    assert result.complete and [e.kundhandelse_id for e in result.events] == ["e1", "e2"]


@pytest.mark.parametrize("status, body, why", [
    (206, _answer([_event(1)]), "partial answer (206)"),
    (200, _answer([_event(1), {"kundhandelseId": "e2", "rubrik": "no type"}]), "unreadable events"),
    (200, _answer([_event(1)], total=2), "fewer events than totaltAntalKundhandelser"),
    (200, _answer([_event(1)], delfragor=[{"producent": "Tanums kommun", "status": "FEL", "httpCode": 500}]),
     "a delfraga failed"),
])
def test_an_answer_that_may_lack_events_is_incomplete(status, body, why):
    result = _fetch(Canned(status, body))
    assert not result.complete and why in result.incomplete
    assert [e.kundhandelse_id for e in result.events] == ["e1"]  # what came is still kept


def test_failed_delfragor_name_the_agencies_behind_but_not_the_producer_itself():
    delfragor = [{"producent": "Tanums kommun", "status": "FEL"}, {"producent": "Referenskommunen", "status": "FEL"},
                 {"producent": "Skatteverket", "status": "OK"}]
    result = _fetch(Canned(206, _answer([_event(1)], delfragor=delfragor)))
    assert result.failed_behind == ["Tanums kommun"]


@pytest.mark.parametrize("config, expected", [
    ({}, {"X-API-Key": "k" * 40}),
    ({"api_key_header": "X-Gateway-Key"}, {"X-Gateway-Key": "k" * 40}),
    ({"auth": "client_headers", "client_id": "portal-1", "client_secret": "s" * 40},
     {"client_id": "portal-1", "client_secret": "s" * 40}),
])
def test_each_agency_gets_the_credentials_it_wants(config, expected):
    canned = Canned(body=_answer([]))
    _fetch(canned, **config)
    sent = {k.lower(): v for k, v in canned.headers[0].items()}
    assert all(sent.get(k.lower()) == v for k, v in expected.items())
    assert ("x-api-key" in sent) == ("X-API-Key" in expected)


def test_a_trickling_agency_is_cut_off_at_its_deadline():
    # The answer would take minutes at a byte per 50 ms; the client's deadline is a fraction of that.
    canned = Canned(body=_answer([_event(i) for i in range(1, 10)]), trickle_s=0.05)
    with pytest.raises(ProducerFailed) as info:
        _fetch(canned, timeout_s=0.5)
    assert info.value.reason == "timeout"


def test_an_oversized_answer_is_refused():
    canned = Canned(body=_answer([_event(1, beskrivning="x" * 2_000_000)]))
    settings = {"slug": "ref", "name": "R", "orgnr": "2120000001", "url": canned.url, "api_key": "k" * 40}
    client = ProducerClient(ProducerConfig(**settings), new_session(), max_body_bytes=1_000_000)
    try:
        with pytest.raises(ProducerFailed) as info:
            client.fetch(Kund(PERSON, "Personnummer"), PERSON, CORRELATION)
    finally:
        canned.close()
    assert info.value.reason == "too_large"
