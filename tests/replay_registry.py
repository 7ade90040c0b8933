"""A replay of Bolagsverket's Mina ombud consumer API (``dfm_konsument_v1``) and of a signatory source.

Written from the published contract, not from our mock: a real HTTP server on a
loopback port (``http.server``), with

- ``POST /oauth2/token``: client credentials (HTTP Basic), scope ``fullmakt:hamta``,
  Bearer tokens that expire;
- ``POST /dfm/formedlare/v1/sok/behorigheter``: ``fullmaktshavare``, ``tredjeman``
  and ``behorigheter`` required (400 without), opaque UUID codes, grantors sorted
  by name, pages of at most ``MAX_PAGE_SIZE`` whatever the client asks;
- ``GET /dfm/formedlare/v1/tredjeman/{orgnr}/fullmakter/{id}``;
- ``POST /foretag/firmatecknare`` (``X-API-Key``), standing in for the company register.

Each path can be told to misbehave (``registry.fault`` / ``signatory.fault``):
``401``, ``400``, ``trickle`` (a byte at a time, slower than any deadline),
``malformed`` (cut-off JSON), ``unknown_typ`` (a permission type nobody knows),
``missing_page`` (no ``page`` in the answer); ``expire_tokens()`` forgets every token
issued so far (the next call gets 401). Every request is recorded (nothing is logged).
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "mina-arenden-portal"
CLIENT_SECRET = "replay-client-secret-0123456789abcdef01"
SIGNATORY_KEY = "replay-signatory-key-0123456789abcdef01"
BASE = "/dfm/formedlare/v1"
MAX_PAGE_SIZE = 2  # the replay pages in twos, so a consumer must read every page
TOKEN_TTL_S = 3600

EVA = "196601013458"  # the demo accountant: the holder of every mandate here
SKV, BV = "2021005448", "2021005489"
# Codes as Skatteverket's and Bolagsverket's catalogs (mock_producers/data) publish them: opaque UUIDs.
SKV_ALL = "68a1b018-486b-51c9-b05d-5a38ebc216b6"
SKV_MOMS = "548016e4-9076-5a32-bdf6-f7d1874ccd51"
SKV_INKOMST = "bc99dbb2-53fe-5e1b-a3d5-af511b9bc1ee"
BV_ALL = "18203046-3c0f-5afb-a2b3-bddda3a68138"
# A code only the portal's config maps (the test config adds it), and one nobody maps.
SKV_CONFIGURED = "c0f1a000-1111-4222-8333-944445555666"
SKV_UNKNOWN = "deadbeef-0000-4000-8000-00000000c0de"


def _giver(id_: str, namn: str, fornamn: str | None = None) -> dict:
    out = {"id": id_, "typ": "orgnr" if len(id_) == 10 else "pnr",
           "roll": "ORGANISATION" if len(id_) == 10 else "PRIVAT", "namn": namn}
    if fornamn:
        out["fornamn"] = fornamn
    return out


def _fullmakt_id(n: int) -> str:
    return f"f0000000-0000-4000-8000-{n:012d}"


# (grantor, tredjeman, [(code, typ)], mandate number): the demo world's mandates for Eva, with real-shaped codes.
GRANTS = [
    (_giver("5590001235", "Bohusläns Ostron AB"), SKV, [(SKV_ALL, "passiv"), (SKV_MOMS, "aktiv")], 1),
    (_giver("5590003454", "Fjällbygg AB"), SKV, [(SKV_CONFIGURED, "aktiv")], 2),
    (_giver("5590003454", "Fjällbygg AB"), BV, [(BV_ALL, "aktiv")], 3),
    (_giver("198504124564", "Ström", "Karin"), SKV, [(SKV_INKOMST, "aktiv")], 4),
    (_giver("5590002340", "Kustbageriet AB"), SKV, [(SKV_ALL, "aktiv")], 5),
    (_giver("5590005673", "Hamnkrogen i Grebbestad AB"), SKV, [(SKV_UNKNOWN, "aktiv")], 6),
]
SIGNATORIES = {EVA: [{"orgnr": "5590006788", "namn": "Nyström Redovisning AB"}],
               "198504124564": [{"orgnr": "5590001235", "namn": "Bohusläns Ostron AB"}]}
AGENCY_NAMES = {SKV: "Skatteverket", BV: "Bolagsverket"}


def display(giver: dict) -> str:
    return " ".join(p for p in (giver.get("fornamn"), giver["namn"]) if p)


def entries_for(holder: dict, tredjeman: str, typ_override: str | None = None) -> list[dict]:
    """The Behorighetskontext list for one agency, sorted by name (as the contract says)."""
    if (holder.get("id"), holder.get("typ")) != (EVA, "pnr"):
        return []
    out = []
    for giver, agency, codes, number in GRANTS:
        if agency != tredjeman:
            continue
        out.append({"fullmaktsgivare": dict(giver), "fullmaktshavare": [{"id": EVA, "typ": "pnr"}],
                    "tredjeman": agency,
                    "behorigheter": [{"kod": kod, "typ": typ_override or typ, "fullmakt": _fullmakt_id(number)}
                                     for kod, typ in codes],
                    "_sig": {"protected": "eyJhbGciOiJSUzI1NiJ9", "signature": "cmVwbGF5"}})
    return sorted(out, key=lambda e: display(e["fullmaktsgivare"]).casefold())


def fullmakt(tredjeman: str, fullmakt_id: str) -> dict | None:
    """One whole mandate as ``fullmakter/{id}`` returns it (FullmaktMetadataResponse)."""
    for giver, agency, codes, number in GRANTS:
        if agency == tredjeman and _fullmakt_id(number) == fullmakt_id:
            return {"fullmakt": {
                "id": fullmakt_id, "ursprung": {"mall": "standard"},
                "rubrik": f"Ombud för {display(giver)} hos {AGENCY_NAMES[agency]}",
                "beskrivning": "Fullmakt registrerad i Mina ombud.",
                "giltigFrom": "2025-01-01", "giltigTom": "2030-12-31",
                "skapare": {"id": giver["id"], "typ": giver["typ"], "namn": giver["namn"]},
                "skapadTidpunkt": "2025-01-01T10:00:00.000+01:00", "transportfullmakt": False,
                "fullmaktsgivare": dict(giver),
                "fullmaktshavare": [{"id": EVA, "typ": "pnr", "fornamn": "Eva", "namn": "Nyström"}],
                "tredjeman": {"id": agency, "namn": AGENCY_NAMES[agency]}, "signatarer": [],
                "behorigheter": [{"behorighetsobjekt": {"kod": kod, "rubrik": f"Behörighet {n + 1}", "typer": [
                    {"typ": "aktiv", "rubrik": "Företräda", "vald": typ == "aktiv", "niva": 2},
                    {"typ": "passiv", "rubrik": "Se", "vald": typ == "passiv", "niva": 1}]}}
                    for n, (kod, typ) in enumerate(codes)],
                "_sig": {"signature": "cmVwbGF5"}},
                "metadata": {"referensnummer": f"MOF{number:010d}", "registreringstidpunkt": "2025-01-01T10:00:00Z"}}
    return None


class Replay:
    """The running server and its knobs."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.log: list[dict] = []  # {"path", "method", "body", "auth"} per request
        self.registry_fault = "none"
        self.fault_agency: str | None = None  # when set, the registry's fault applies to this tredjeman only
        self.signatory_fault = "none"
        self.token_ttl_s = TOKEN_TTL_S
        self.trickle_s = 0.5  # seconds between bytes when trickling
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.registry_fault = self.signatory_fault = "none"
            self.fault_agency = None
            self.token_ttl_s = TOKEN_TTL_S

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def requests(self, path_end: str) -> list[dict]:
        with self.lock:
            return [r for r in self.log if r["path"].endswith(path_end)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(replay: Replay):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # nothing on stderr: bodies and paths are ours to check, not to print
            pass

        def _send(self, status: int, body, *, content_type="application/json", headers=None, trickle=False):
            data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if not trickle:
                self.wfile.write(data)
                return
            try:
                for byte in data:  # every byte in time for any per-read timeout; the whole never in time
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(replay.trickle_s)
            except OSError:
                pass  # the consumer gave up: that is the point

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _record(self, body: bytes) -> None:
            with replay.lock:
                replay.log.append({"path": urlsplit(self.path).path, "method": self.command, "body": body,
                                   "auth": self.headers.get("Authorization", "")})

        def _bearer_ok(self) -> bool:
            scheme, _, value = self.headers.get("Authorization", "").partition(" ")
            with replay.lock:
                end = replay.tokens.get(value) if scheme == "Bearer" else None
            return end is not None and end > time.monotonic()

        def do_POST(self):
            body = self._body()
            self._record(body)
            path = urlsplit(self.path).path
            if path == "/oauth2/token":
                return self._token(body)
            if path == BASE + "/sok/behorigheter":
                return self._sok(body)
            if path == "/foretag/firmatecknare":
                return self._firmatecknare(body)
            self._send(404, {"message": "not found"})

        def do_GET(self):
            self._record(b"")
            parts = urlsplit(self.path).path.split("/")
            # /dfm/formedlare/v1/tredjeman/{orgnr}/fullmakter/{id}
            if len(parts) == 8 and "/".join(parts[:4]) == BASE and parts[4] == "tredjeman" and parts[6] == "fullmakter":
                if not self._bearer_ok():
                    return self._send(401, {"message": "unauthorized"}, headers={"WWW-Authenticate": "Bearer"})
                found = fullmakt(parts[5], parts[7])
                return self._send(200, found) if found else self._send(404, {"message": "not found"})
            self._send(404, {"message": "not found"})

        def _token(self, body: bytes):
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            basic = self.headers.get("Authorization", "")
            client = base64.b64decode(basic[6:]).decode() if basic.startswith("Basic ") else ""
            if form.get("grant_type") != "client_credentials" or form.get("scope") != "fullmakt:hamta":
                return self._send(400, {"error": "invalid_request"})
            if client != f"{CLIENT_ID}:{CLIENT_SECRET}":
                return self._send(401, {"error": "invalid_client"})
            token = secrets.token_urlsafe(24)
            with replay.lock:
                replay.tokens[token] = time.monotonic() + replay.token_ttl_s
            self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": replay.token_ttl_s,
                             "scope": "fullmakt:hamta"})

        def _sok(self, body: bytes):
            fault = replay.registry_fault
            try:
                asked_for = json.loads(body).get("tredjeman")
            except (ValueError, AttributeError):
                asked_for = None
            if replay.fault_agency is not None and asked_for != replay.fault_agency:
                fault = "none"
            if fault == "401" or not self._bearer_ok():
                return self._send(401, {"message": "unauthorized"}, headers={"WWW-Authenticate": "Bearer"})
            try:
                question = json.loads(body)
            except ValueError:
                return self._send(400, {"message": "not JSON"})
            if fault == "400" or not isinstance(question, dict) or not all(
                    k in question for k in ("fullmaktshavare", "tredjeman", "behorigheter")):
                return self._send(400, {"message": "fullmaktshavare, tredjeman and behorigheter are required"})
            entries = entries_for(question["fullmaktshavare"], question["tredjeman"],
                                  "ombud" if fault == "unknown_typ" else None)
            page = question.get("page") or {}
            number, size = page.get("page", 0), min(page.get("size", 20), MAX_PAGE_SIZE)
            answer = {"fullmaktsgivare": entries[number * size:(number + 1) * size],
                      "page": {"size": size, "number": number, "totalElements": len(entries),
                               "totalPages": math.ceil(len(entries) / size)}}
            if fault == "missing_page":
                del answer["page"]
            if fault == "malformed":
                return self._send(200, json.dumps(answer).encode()[:40])
            self._send(200, answer, trickle=fault == "trickle")

        def _firmatecknare(self, body: bytes):
            fault = replay.signatory_fault
            if fault == "401" or self.headers.get("X-API-Key") != SIGNATORY_KEY:
                return self._send(401, {"message": "unauthorized"})
            try:
                pnr = json.loads(body)["pnr"]
            except (ValueError, KeyError, TypeError):
                return self._send(400, {"message": "pnr is required"})
            if fault == "400":
                return self._send(400, {"message": "bad request"})
            answer = {"firmatecknare": SIGNATORIES.get(pnr, [])}
            if fault == "malformed":
                return self._send(200, json.dumps(answer).encode()[:20])
            if fault == "missing_list":
                return self._send(200, {"foretag": answer["firmatecknare"]})
            self._send(200, answer, trickle=fault == "trickle")

    return Handler
