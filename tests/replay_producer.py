"""A replay of the published reference producer (Public-Service-as-a-Service/mina-arenden-ref-impl), as a small
real HTTP server on loopback, written from the published facts (``../shared/brief/domain.md``, "What real answers
look like") and independent of our own ``portal.standard`` code, so it can catch what our own mock world would not.

What it does as the reference producer does:
- ``POST {base}/kundhandelseFragaSynkron`` only; the key in ``X-API-Key`` (the header name is configurable there,
  and here), compared in constant time, ``401 {"message"}`` when missing or wrong.
- ``skv_client_correlation_id`` required (``400 {"message"}``); errors on the query path are ``{"message": ...}``.
- Answers: one group per asked part, ``part`` said once per group; events WITHOUT ``part`` and ``taggar``;
  null fields left out; ``metadata`` a flat echo of ``fraga`` plus ``onskatSprak``; newest first without
  sorting; paging (``offset``/``limit``) requires sorting; ``totaltAntalKundhandelser`` counts before paging.
- Any other path: ``403`` ``application/problem+json`` with a valid key (``401`` without).

It stores events as a producer publishes them (with ``part``, ``arende`` and ``taggar``), and records every
request it was sent (``requests``) for tests to look at.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ANSWER_FIELDS = ("kundhandelseId", "rubrik", "beskrivning", "sprak", "producent", "tidpunkt", "kundhandelseTyp",
                 "producentarendetKraverKundatgard", "producentarendetKlart", "version", "utokadInformation",
                 "referenser")
SORT_FIELDS = {"RUBRIK": "rubrik", "BESKRIVNING": "beskrivning", "PRODUCENT": "producent", "TIDPUNKT": "tidpunkt",
               "KUNDHANDELSETYP": "kundhandelseTyp",
               "PRODUCENTARENDETKRAVERKUNDATGARD": "producentarendetKraverKundatgard",
               "PRODUCENTARENDETKLART": "producentarendetKlart"}


def _instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    return value if value.tzinfo else value.replace(tzinfo=STOCKHOLM)


class ReplayProducer:
    """The server and what it holds. ``with ReplayProducer(events, api_key=...) as producer: producer.url``."""

    def __init__(self, events: list[dict], *, api_key: str, key_header: str = "X-API-Key", base: str = "/api/v1"):
        self.events = list(events)
        self.api_key = api_key
        self.key_header = key_header
        self.base = base.rstrip("/")
        self.requests: list[dict] = []  # {"path", "headers", "body"} of every request
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}{self.base}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ReplayProducer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the operation --------------------------------------------------------------------------------
    def answer(self, body: dict, language: str) -> dict:
        fraga = body["fraga"]
        behandling = fraga.get("behandling") or {}
        groups = []
        for part in fraga["parter"]:
            hits = [e for e in self.events if self._matches(e, part, fraga)]
            hits.sort(key=lambda e: (_instant(e["tidpunkt"]), e["kundhandelseId"]), reverse=True)
            for rule in reversed(behandling.get("sortering") or []):
                field = SORT_FIELDS[rule["attribut"]]
                key = (lambda e, f=field: _instant(e[f])) if field == "tidpunkt" else (lambda e, f=field: e.get(f, ""))
                hits.sort(key=key, reverse=not rule.get("stigande", True))
            total = len(hits)
            paging = behandling.get("paginering")
            if paging:
                hits = hits[paging["offset"]:paging["offset"] + paging["limit"]]
            groups.append({"part": part, "totaltAntalKundhandelser": total,
                           "kundhandelserForPart": [self._as_answered(e) for e in hits]})
        return {"kundhandelser": groups, "metadata": {**fraga, "onskatSprak": language}}

    @staticmethod
    def _as_answered(event: dict) -> dict:
        return {k: event[k] for k in ANSWER_FIELDS if event.get(k) is not None}

    @staticmethod
    def _matches(event: dict, part: dict, fraga: dict) -> bool:
        asked, stored = part.get("kund"), event["part"].get("kund") or {}
        if asked and (asked["identifierare"], asked["typ"]) != (stored.get("identifierare"), stored.get("typ")):
            return False
        if part.get("arende") and part["arende"] != event["part"].get("arende"):
            return False
        types = fraga.get("kundhandelseTyper")
        if types and not any(event["kundhandelseTyp"] == t or event["kundhandelseTyp"].startswith(t + ".")
                             for t in types):
            return False
        day = _instant(event["tidpunkt"]).astimezone(STOCKHOLM).date().isoformat()
        if fraga.get("startDatum") and day < fraga["startDatum"]:
            return False
        if fraga.get("slutDatum") and day > fraga["slutDatum"]:
            return False
        return True

    # --- HTTP -------------------------------------------------------------------------------------------
    def _handler(self):
        producer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: the test output is ours
                pass

            def _send(self, status: int, body: dict, content_type: str = "application/json") -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _key_ok(self) -> bool:
                given = self.headers.get(producer.key_header)
                return given is not None and hmac.compare_digest(given.encode(), producer.api_key.encode())

            def _elsewhere(self) -> None:
                status = 403 if self._key_ok() else 401
                self._send(status, {"type": "about:blank", "title": "Forbidden" if status == 403 else "Unauthorized",
                                    "status": status, "instance": self.path}, "application/problem+json")

            def do_GET(self):
                self._elsewhere()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with producer.lock:
                    producer.requests.append({"path": self.path, "headers": dict(self.headers), "body": raw})
                if self.path != producer.base + "/kundhandelseFragaSynkron":
                    return self._elsewhere()
                if not self._key_ok():
                    return self._send(401, {"message": "Unauthorized"})
                if not self.headers.get("skv_client_correlation_id"):
                    return self._send(400, {"message": "skv_client_correlation_id saknas"})
                try:
                    body = json.loads(raw)
                    behandling = body["fraga"].get("behandling") or {}
                except (ValueError, KeyError, TypeError, AttributeError):
                    return self._send(400, {"message": "Felaktig fråga"})
                if behandling.get("paginering") and not behandling.get("sortering"):
                    return self._send(400, {"message": "Paginering kräver sortering"})
                language = (self.headers.get("Accept-Language") or "sv").split(",")[0].strip() or "sv"
                self._send(200, producer.answer(body, language))

        return Handler
