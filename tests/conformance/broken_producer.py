"""A deliberately broken producer: the conformance kit must catch each defect under the right check id.

Plain WSGI (Werkzeug), run as its own process: ``python broken_producer.py [--port 0]`` prints
``Broken producer on http://127.0.0.1:PORT/broken``. Everything else follows the standard
(it uses ``portal.standard.query``), so exactly these checks fail:

| defect | check |
|---|---|
| a missing, empty or overlong ``skv_client_correlation_id`` is accepted | ``header.correlation-id`` |
| every error is ``text/plain`` | ``errors.body-shape`` |
| ``tidpunkt`` in the local form ``YYYY-MM-DD HH:MM:SS`` | ``tidpunkt.rfc3339`` (recommended) |
| ``kundhandelseTyper`` is ignored | ``semantics.type-prefix`` |
| ``totaltAntalKundhandelser`` counts the page, not the whole answer | ``paging.totals`` |
| ``metadata`` nested as ``{fraga, anvandare}``, not the published flat echo | ``metadata.echo`` (recommended) |
"""

from __future__ import annotations

import argparse
import dataclasses
import hmac
import json
import sys
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project root, when run as a script

from portal.standard.models import Event  # noqa: E402
from portal.standard.query import QueryError, answer, parse_query  # noqa: E402
from portal.standard.tidpunkt import STOCKHOLM  # noqa: E402

API_KEY = "broken-api-key-0123456789abcdef012345"
CUSTOMER = "198504124564"  # fictitious test personnummer
PREFIX = "/broken"
NAME = "Brutna verket"


def _event(n: int, typ: str, when: str, rubrik: str, *, tags=(), kraver=False, klart=False) -> Event:
    return Event.from_json({
        "kundhandelseId": f"brutet-{n}", "part": {"kund": {"identifierare": CUSTOMER, "typ": "Personnummer"}},
        "rubrik": rubrik, "beskrivning": f"Händelse {n}", "producent": NAME, "tidpunkt": when,
        "kundhandelseTyp": typ, "producentarendetKraverKundatgard": kraver, "producentarendetKlart": klart,
        "version": "6.1", "taggar": list(tags),
    })


EVENTS = [
    _event(1, "BRUTEN.BYGGLOV.MOTTAGET", "2026-03-02T09:00:00+01:00", "Ansökan mottagen", tags=["bygglov"]),
    _event(2, "BRUTEN.BYGGLOV.KOMPLETTERING", "2026-03-20T14:30:00+01:00", "Komplettering behövs",
           tags=["bygglov", "komplettering"], kraver=True),
    _event(3, "BRUTEN.BYGGLOV.BESLUT", "2026-04-15T10:00:00+02:00", "Beslut om bygglov", tags=["bygglov"], klart=True),
    _event(4, "BRUTEN.MOMS.REGISTRERING", "2026-05-05T08:15:00+02:00", "Momsregistrering klar",
           tags=["moms"], klart=True),
    _event(5, "BRUTEN.MOMSX.PROV", "2026-06-30T23:30:00+02:00", "Äldre prov", tags=["prov"]),
]


def text_error(status: int, message: str) -> Response:
    """DEFECT: errors as text/plain instead of {"message": ...}."""
    return Response(message, status=status, mimetype="text/plain")


def local_form(event: Event) -> dict:
    """DEFECT: tidpunkt in the local input form, without an offset."""
    out = event.to_json()
    out["tidpunkt"] = event.tidpunkt.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S")
    return out


@Request.application
def app(request: Request) -> Response:
    if request.path != PREFIX + "/kundhandelseFragaSynkron":
        return text_error(404, "not found")
    if request.method != "POST":
        return text_error(405, "method not allowed")
    given = request.headers.get("X-API-Key", "")
    if not hmac.compare_digest(given.encode(), API_KEY.encode()):
        return text_error(401, "missing or wrong key")
    # DEFECT: skv_client_correlation_id is never looked at.
    if request.mimetype != "application/json":
        return text_error(415, "unsupported media type")
    body = request.get_json(silent=True)
    if body is None:
        return text_error(400, "not JSON")
    try:
        query = parse_query(body)
    except QueryError as exc:
        return text_error(exc.status, exc.message)
    ignoring_types = dataclasses.replace(query, typer=())  # DEFECT: kundhandelseTyper ignored
    result = answer(EVENTS, ignoring_types, producent=NAME, render=local_form)
    for entry in result["kundhandelser"]:
        entry["totaltAntalKundhandelser"] = len(entry["kundhandelserForPart"])  # DEFECT: counts the page
    result["metadata"] = {"fraga": body["fraga"], "anvandare": body["anvandare"]}  # DEFECT: nested, not flat
    return Response(json.dumps(result, ensure_ascii=False), mimetype="application/json")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="A deliberately broken producer for the conformance kit's tests")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(f"Broken producer on http://127.0.0.1:{server.server_port}{PREFIX}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
