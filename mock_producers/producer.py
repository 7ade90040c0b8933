"""A mock agency's API: ``kundhandelseFragaSynkron``, our catalog extension, the OpenAPI document."""

from __future__ import annotations

import json
import time
import re
import socket

from flask import Blueprint, Response, current_app, request
from werkzeug.http import HTTP_STATUS_CODES

from portal.standard import openapi
from portal.standard.models import Event, Part
from portal.standard.query import Query, QueryError, answer, parse_query, preferred_language

from . import access
from .data import Producer
from .faults import Knob, finish
from .server import asked_at, send_at
from .state import MockState

bp = Blueprint("producer", __name__)

_CORRELATION = re.compile(r"^[\x20-\x7e]{1,200}$")
FOREIGN_KUND = {"identifierare": "194505055550", "typ": "Personnummer"}  # fictitious, in no data file


def state() -> MockState:
    return current_app.extensions["mock"]


def error(status: int, message: str) -> Response:
    """The standard's error body, as on the query path."""
    return Response(json.dumps({"message": message}), status=status, mimetype="application/json")


def problem(status: int, detail: str) -> Response:
    """An RFC 9457 problem, as the reference producer answers off the query path."""
    title = HTTP_STATUS_CODES.get(status, "Error")
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": request.path}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def json_response(body, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def get_producer(slug: str) -> Producer | None:
    return state().producers.get(slug)


def check_caller(slug: str | None = None) -> Response | None:
    """The checks every query endpoint makes, in the standard's order; a Response when refused.

    ``slug`` names the agency, whose own kind of authentication applies (the forwarder: None, X-API-Key).
    """
    if not state().caller_ok(slug, request.headers):
        return error(401, "missing or wrong credentials")
    correlation = request.headers.get("skv_client_correlation_id")
    if correlation is None or not _CORRELATION.match(correlation):
        return error(400, "header skv_client_correlation_id is required: 1-200 printable ASCII characters")
    if request.mimetype != "application/json":
        return error(415, "the request body must be application/json")
    return None


def read_query() -> Query:
    body = request.get_json(silent=True)
    if body is None:
        raise QueryError("the request body is not valid JSON")
    return parse_query(body)


def apply_outage(knob: Knob) -> Response | None:
    """Faults that replace the whole answer."""
    if knob.fault == "down":
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return error(503, "down")  # only reached where the socket cannot be closed
    if knob.fault == "error500":
        return error(500, "internal error at the producer (simulated)")
    if knob.fault == "timeout":
        time.sleep(knob.timeout_s)
    return None


@bp.route("/<slug>/kundhandelseFragaSynkron", methods=["POST"])
def query(slug: str):
    producer = get_producer(slug)
    if producer is None:
        return error(404, f"no producer at /{slug}")
    # Logged so a consumer's log line can be matched with ours (never the customer or the user).
    current_app.logger.info("query producer=%s correlation_id=%s", slug,
                            request.headers.get("skv_client_correlation_id"))
    # The answer is built while the latency runs and sent when it is due (FaultBoard.begin says why), by the server
    # when it can (``server.send_at``), so that the rest of the work on the answer is done by then too.
    knob, due = state().board.begin(slug, asked_at(request.environ))
    response = _query_answer(slug, producer, knob, due)
    if not send_at(request.environ, due):
        finish(due)
    return response


def _query_answer(slug: str, producer: Producer, knob: Knob, due: float) -> Response:
    if knob.fault in ("down", "error500", "timeout"):
        finish(due)  # an outage shows after the latency, as before
    refused = apply_outage(knob) or check_caller(slug)
    if refused is not None:
        return refused
    try:
        q = read_query()
    except QueryError as exc:
        return error(exc.status, exc.message)
    language = preferred_language(request.headers.get("Accept-Language"))
    try:
        events = visible_events(producer, q)
    except PermissionError as exc:
        return error(403, str(exc))
    body = answer(events, q, producent=producer.namn, onskat_sprak=language,
                  render=lambda e: producer.render(e, language))
    return deliver(slug, body, knob)


def visible_events(producer: Producer, q: Query) -> list[Event]:
    """The producer's events that ``anvandare`` may see; PermissionError for a forbidden named customer."""
    # A query that names its customers (every part has a kund) reads only theirs; one by case reference reads all.
    named = [part.kund for part in q.parter]
    events = producer.snapshot_for(named) if named and all(named) else producer.snapshot()
    st = state()
    if not st.access_check:
        return events
    registry, today = st.registry_snapshot(), st.today()
    catalog_codes = producer.permission_prefixes()
    cache: dict = {}

    def codes_for(kund):
        key = (kund.identifierare, kund.typ)
        if key not in cache:
            cache[key] = access.allowed_codes(q.anvandare, kund, tredjeman=producer.orgnr,
                                              registry=registry, today=today)
        return cache[key]

    for part in q.parter:
        if part.kund is not None and codes_for(part.kund) is None:
            raise PermissionError("anvandare may not see this customer's events at this producer")
    return [e for e in events
            if e.part.kund is not None and (codes := codes_for(e.part.kund)) is not None
            and access.visible(e, codes, catalog_codes)]


def deliver(slug: str, body: dict, knob: Knob) -> Response:
    """Send the answer, with a content fault applied when one is set."""
    if knob.fault in ("partial", "short"):
        # Leave out each group's last event but keep the total: a 206 says so itself, "short" does not.
        for entry in body["kundhandelser"]:
            entry["kundhandelserForPart"] = entry["kundhandelserForPart"][:-1]
        if knob.fault == "partial":
            body["delfragor"] = [d | {"status": "FEL", "httpCode": 206, "message": "some events could not be read"}
                                 for d in body["delfragor"]]
            return counted(slug, json_response(body, 206))
    if knob.fault == "malformed":
        text = json.dumps(body, ensure_ascii=False)
        return counted(slug, Response(text[: max(1, len(text) // 2)], mimetype="application/json"))
    if knob.fault == "oversized":
        return counted_stream(slug, oversized(body, int(knob.oversized_mb * 1024 * 1024)))
    for entry in body["kundhandelser"]:
        entry["kundhandelserForPart"] = mutate(entry["kundhandelserForPart"], knob.fault, entry["part"])
    text = json.dumps(body, ensure_ascii=False)
    return counted(slug, Response(text, mimetype="application/json"))


def mutate(events: list[dict], fault: str, part: dict) -> list[dict]:
    if fault == "duplicates":
        return [e for e in events for _ in (0, 1)]
    if fault == "resent_malformed" and events:
        # The first event again (same kundhandelseId), in a form that does not validate.
        return [{k: v for k, v in events[0].items() if k != "rubrik"}] + events[1:]
    if fault == "hostile":
        return [hostile(e) for e in events]
    if fault == "invalid_events" and events:
        base = events[0]
        bad = [
            {k: v for k, v in base.items() if k != "rubrik"} | {"kundhandelseId": "invalid-no-rubrik"},
            base | {"kundhandelseId": "invalid-type", "kundhandelseTyp": "skv.små.bokstäver"},
            base | {"kundhandelseId": "invalid-time", "tidpunkt": "2026-03-29 02:30:00"},
            base | {"kundhandelseId": "invalid-flag", "producentarendetKlart": "ja"},
            "not an event",
        ]
        return [x for pair in zip(events, bad + [None] * len(events)) for x in pair if x is not None]
    if fault == "foreign_events" and events:
        foreign = events[0] | {"kundhandelseId": "foreign-1",
                               "part": {"kund": FOREIGN_KUND, "arende": {"identifierare": "X-1", "typ": "Diarienummer"}},
                               "rubrik": "Händelse om en annan kund"}
        return events + [foreign]
    return events


def hostile(event: dict) -> dict:
    script = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
    return event | {
        "rubrik": f'{event["rubrik"]} {script}"\'&',
        "beskrivning": f'<b onmouseover="alert(2)">{event.get("beskrivning", "")}</b>{script}',
        "producent": f'{event["producent"]}<iframe src="javascript:alert(3)">',
        "referenser": {"lank": "javascript:alert(document.cookie)", "alternativ": "data:text/html,<script>alert(4)</script>",
                       # Hostile, yet one per case: answers name a case only through its referenser.
                       "diarienummer": f"<svg onload=alert(5)>{case_reference(event)}"},
        "utokadInformation": {"senastDatum": "<script>", "saknadeHandlingar": ["<script>alert(6)</script>"]},
        "taggar": ["<script>"],
    }


def case_reference(event: dict) -> str:
    """What names the event's case in an answer: its diarienummer, else its link, else nothing."""
    refs = event.get("referenser") if isinstance(event.get("referenser"), dict) else {}
    return str(refs.get("diarienummer") or refs.get("lank") or "")


def oversized(body: dict, size: int):
    """A streamed, syntactically plausible answer of ``size`` bytes that never ends properly early."""
    events = [e for entry in body["kundhandelser"] for e in entry["kundhandelserForPart"]]
    filler = json.dumps(events[0] if events else {"pad": "x" * 500}, ensure_ascii=False).encode()
    part = json.dumps(body["kundhandelser"][0]["part"] if body["kundhandelser"] else {}).encode()
    yield b'{"kundhandelser": [{"part": ' + part + b', "totaltAntalKundhandelser": 1, "kundhandelserForPart": ['
    sent = 0
    while sent < size:
        chunk = filler + b","
        sent += len(chunk)
        yield chunk
    yield filler + b"]}]}"


def counted(slug: str, response: Response) -> Response:
    state().count(slug, response.calculate_content_length() or 0)
    return response


def counted_stream(slug: str, chunks) -> Response:
    st = state()  # the generator runs after the app context is gone: capture the state now

    def gen():
        total = 0
        for chunk in chunks:
            total += len(chunk)
            yield chunk
        st.count(slug, total)
    return Response(gen(), mimetype="application/json")


@bp.route("/<slug>/kundhandelsetyper", methods=["GET"])
def catalog(slug: str):
    """Our extension: the producer's event-type catalog."""
    producer = get_producer(slug)
    if producer is None:
        return problem(404, f"no producer at /{slug}")
    state().board.wait(slug, asked_at(request.environ))
    if not state().caller_ok(slug, request.headers):
        return problem(401, "missing or wrong credentials")
    if producer.katalog is None:
        return problem(404, "this producer publishes no catalog")
    doc = {"producent": {"namn": producer.namn, "orgnr": producer.orgnr, "prefix": producer.prefix}} | producer.katalog
    return json_response(doc)


@bp.route("/<slug>/api-docs", methods=["GET"])
def api_docs(slug: str):
    producer = get_producer(slug)
    if producer is None:
        return problem(404, f"no producer at /{slug}")
    auth = state().auth.get(slug)
    return json_response(openapi.document(producer.namn, request.host_url.rstrip("/") + f"/{slug}",
                                          key_header=auth.header if auth else "X-API-Key",
                                          client_headers=bool(auth and auth.kind == "client_headers")))


__all__ = ["bp", "error", "json_response", "check_caller", "read_query", "state", "Part"]
