"""A producer that answers like the published reference producer (mina-arenden-ref-impl), as our brief records it.

Plain WSGI (Werkzeug), run as its own process: ``python reference_like_producer.py [--port 0]`` prints
``Reference-like producer on http://127.0.0.1:PORT/ref``. It follows the standard, and where the reference
producer differs from our first mock world it does what the reference producer does:

- ``X-API-Key`` (32+ characters, compared in constant time); a missing or wrong key is 401;
- events in an answer carry no ``part`` and no ``taggar`` (the party is said once, ``kundhandelser[i].part``),
  and null fields are left out, not sent as ``null``;
- ``metadata`` is a flat echo of ``fraga`` plus ``onskatSprak`` (the Accept-Language as sent);
- text sorts in its database's accent-insensitive collation (Ä next to A, not after Z);
- errors on the query path are ``{"message": ...}``; any other path is answered by the framework with RFC 9457
  ``application/problem+json``, and an unknown path with a valid key is 403, not 404.

The conformance kit must pass it (with only the recommended Swedish-order check failing).
"""

from __future__ import annotations

import argparse
import hmac
import json
import sys
import unicodedata
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project root, when run as a script

from portal.standard import tidpunkt  # noqa: E402
from portal.standard.eventtypes import matches_any  # noqa: E402
from portal.standard.models import Part  # noqa: E402
from portal.standard.query import QueryError, parse_query  # noqa: E402

API_KEY = "reference-like-api-key-0123456789abcdef"
CUSTOMER = "199009091233"  # fictitious test personnummer
COMPANY = "165560001231"  # fictitious organisation number
PREFIX = "/ref"
OPERATION = PREFIX + "/kundhandelseFragaSynkron"
NAME = "Testköpings kommun"
ANSWER_FIELDS = ("kundhandelseId", "rubrik", "beskrivning", "sprak", "producent", "tidpunkt", "kundhandelseTyp",
                 "producentarendetKraverKundatgard", "producentarendetKlart", "version", "utokadInformation",
                 "referenser")


def _event(n: int, kund: str, typ: str, when: str, rubrik: str, *, beskrivning: str | None = None,
           tags=(), kraver=False, klart=False, arende: str | None = None, sprak: str | None = "sv",
           version: str = "6.1", utokad=None, referenser=None) -> dict:
    """An event as the producer stores it: with part and taggar, which it never returns."""
    part = {"kund": {"identifierare": kund, "typ": "Organisationsnummer" if kund.startswith("16") else "Personnummer"}}
    if arende:
        part["arende"] = {"identifierare": arende, "typ": "Diarienummer"}
    return {"kundhandelseId": f"TESTKOP-{n}", "part": part, "rubrik": rubrik, "beskrivning": beskrivning,
            "sprak": sprak, "producent": NAME, "tidpunkt": when, "kundhandelseTyp": typ,
            "producentarendetKraverKundatgard": kraver, "producentarendetKlart": klart, "version": version,
            "utokadInformation": utokad, "referenser": referenser, "taggar": list(tags)}


# Two building permits of one person (one decided, one waiting for the customer), a serving permit, and a
# company's case. Rubriks starting with Ä and Å tell accent-insensitive order from Swedish order.
EVENTS = [
    _event(1, CUSTOMER, "TESTKOP.BYGGLOV.ANSOKAN_MOTTAGEN", "2026-08-03T09:12:00+02:00", "Ansökan om bygglov mottagen",
           beskrivning="Vi har tagit emot din ansökan.", tags=["bygglov"], arende="BYGG-2026-00123",
           referenser={"diarienummer": "BYGG-2026-00123"}),
    _event(2, CUSTOMER, "TESTKOP.BYGGLOV.KOMPLETTERING_BEGARD", "2026-09-02T14:30:00+02:00",
           "Ärendet behöver kompletteras", beskrivning="Situationsplan saknas.", tags=["bygglov"], kraver=True,
           arende="BYGG-2026-00123", utokad={"senastDatum": "2026-09-30", "saknadeHandlingar": ["Situationsplan"]},
           referenser={"diarienummer": "BYGG-2026-00123", "lank": "https://testkoping.example/arenden/123"}),
    _event(3, CUSTOMER, "TESTKOP.BYGGLOV.ANSOKAN_MOTTAGEN", "2026-09-02T08:00:00+02:00", "Ansökan om bygglov mottagen",
           tags=["bygglov"], arende="BYGG-2026-00200", referenser={"diarienummer": "BYGG-2026-00200"}),
    _event(4, CUSTOMER, "TESTKOP.BYGGLOV.BESLUT", "2026-10-01T10:00:00+02:00", "Beslut om bygglov",
           beskrivning="Bygglov beviljat.", tags=["bygglov", "beslut"], klart=True, arende="BYGG-2026-00200",
           referenser={"diarienummer": "BYGG-2026-00200"}),
    _event(5, CUSTOMER, "TESTKOP.SERVERINGSTILLSTAND.ANSOKAN_MOTTAGEN", "2026-10-15T23:30:00+02:00",
           "Åtgärd: betala avgiften", beskrivning="Avgiften ska vara betald inom 30 dagar.", tags=["servering"],
           kraver=True, sprak="fit", version="6.2"),
    _event(6, CUSTOMER, "TESTKOP.SERVERINGSTILLSTAND.BESLUT", "2026-11-20T11:05:00+01:00",
           "beslut om serveringstillstånd",
           tags=["servering", "beslut"], klart=True, sprak=None),
    _event(7, COMPANY, "TESTKOP.LIVSMEDEL.REGISTRERING", "2026-08-20T13:00:00+02:00",
           "Registrering av livsmedelsanläggning",
           beskrivning="Anläggningen är registrerad.", tags=["livsmedel"], klart=True),
    _event(8, COMPANY, "TESTKOP.LIVSMEDEL.KONTROLL", "2026-11-02T09:00:00+01:00", "Ändrad kontrolltid",
           beskrivning="Kontrollen flyttas.", tags=["livsmedel"]),
]


def collate(text: str | None) -> str:
    """The database's accent-insensitive, case-insensitive collation."""
    text = (text or "").casefold()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


KEYS = {
    "RUBRIK": lambda e: collate(e["rubrik"]), "BESKRIVNING": lambda e: collate(e["beskrivning"]),
    "PRODUCENT": lambda e: collate(e["producent"]), "TIDPUNKT": lambda e: tidpunkt.parse(e["tidpunkt"]),
    "KUNDHANDELSETYP": lambda e: collate(e["kundhandelseTyp"]),
    "PRODUCENTARENDETKRAVERKUNDATGARD": lambda e: e["producentarendetKraverKundatgard"],
    "PRODUCENTARENDETKLART": lambda e: e["producentarendetKlart"],
}


def select(part: Part, query) -> tuple[int, list[dict]]:
    hits = [e for e in EVENTS if part.covers(Part.from_json(e["part"]))]
    if query.typer:
        hits = [e for e in hits if matches_any(e["kundhandelseTyp"], query.typer)]
    if query.taggar:
        hits = [e for e in hits if set(query.taggar) & set(e["taggar"])]
    for bound, outside in ((query.start, lambda d, b: d < b), (query.slut, lambda d, b: d > b)):
        if bound:
            hits = [e for e in hits if not outside(tidpunkt.local_date(tidpunkt.parse(e["tidpunkt"])), bound)]
    hits.sort(key=lambda e: e["kundhandelseId"])
    hits.sort(key=KEYS["TIDPUNKT"], reverse=True)  # newest first, then by id: stable pages
    for attribut, stigande in reversed(query.sortering):
        hits.sort(key=KEYS[attribut], reverse=not stigande)
    total = len(hits)
    if query.limit is not None:
        hits = hits[query.offset:query.offset + query.limit]
    return total, hits


def render(event: dict) -> dict:
    """As the reference producer's answer DTO: no part, no taggar, null fields left out."""
    return {k: event[k] for k in ANSWER_FIELDS if event.get(k) is not None}


def message(status: int, text: str) -> Response:
    return Response(json.dumps({"message": text}), status=status, mimetype="application/json")


def problem(status: int, title: str, request: Request) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "instance": request.path}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def key_ok(request: Request) -> bool:
    return hmac.compare_digest(request.headers.get("X-API-Key", "").encode(), API_KEY.encode())


@Request.application
def app(request: Request) -> Response:
    if request.path != OPERATION:
        if not key_ok(request):
            return problem(401, "Unauthorized", request)
        return problem(403, "Forbidden", request)  # the security layer denies every path it does not know
    if request.method != "POST":
        return message(405, "Method Not Allowed")
    if not key_ok(request):
        return message(401, "Unauthorized")
    correlation = request.headers.get("skv_client_correlation_id")
    if not correlation or len(correlation) > 200 or not all(" " <= c <= "~" for c in correlation):
        return message(400, "skv_client_correlation_id saknas eller är ogiltigt")
    if request.mimetype != "application/json":
        return message(415, "Unsupported Media Type")
    try:
        body = json.loads(request.get_data(as_text=True))
        query = parse_query(body)
    except ValueError as exc:  # QueryError is a ValueError, as is malformed JSON
        return message(400, exc.message if isinstance(exc, QueryError) else "Ogiltig JSON")
    kundhandelser, delfragor = [], []
    for part in query.parter:
        total, page = select(part, query)
        kundhandelser.append({"part": part.to_json(), "totaltAntalKundhandelser": total,
                              "kundhandelserForPart": [render(e) for e in page]})
        delfragor.append({"producent": NAME, "part": part.to_json(), "status": "OK", "httpCode": 200})
    metadata = {k: v for k, v in body["fraga"].items() if v is not None}
    if request.headers.get("Accept-Language"):
        metadata["onskatSprak"] = request.headers["Accept-Language"]
    answer = {"kundhandelser": kundhandelser, "metadata": metadata, "delfragor": delfragor}
    return Response(json.dumps(answer, ensure_ascii=False), mimetype="application/json")


class CorrelationHeaderHandler(WSGIRequestHandler):
    """Werkzeug drops headers with underscores; the standard's ``skv_client_correlation_id`` must come through."""

    def make_environ(self):
        environ = super().make_environ()
        for key, value in self.headers.items():
            if key.lower() == "skv_client_correlation_id":
                environ["HTTP_SKV_CLIENT_CORRELATION_ID"] = value
        return environ


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="A producer answering like the published reference producer")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=CorrelationHeaderHandler)
    print(f"Reference-like producer on http://127.0.0.1:{server.server_port}{PREFIX}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
