"""A Mina ombud registry that answers like Bolagsverket's consumer API (``dfm_konsument_v1_eng.yaml``).

Plain WSGI (Werkzeug), run as its own process: ``python reference_like_registry.py [--port 0]`` prints
``Reference-like registry on http://127.0.0.1:PORT/dfm/formedlare/v1``. As the contract says:

- OAuth2 client credentials at ``/oauth2/token`` on the host (the contract's relative ``tokenUrl``), client
  authentication by HTTP Basic or form fields, scope ``fullmakt:hamta``; then ``Authorization: Bearer``;
- ``POST /sok/behorigheter`` requires ``fullmaktshavare``, ``tredjeman`` (10 digits) and ``behorigheter``
  (``[]`` = all), answers one entry per grantor (``aktiv`` beats ``passiv``, only mandates valid today), grantors
  in order of name, paged, each entry with a ``_sig``;
- ``GET /tredjeman/{orgnr}/fullmakter/{id}`` gives one whole mandate (``FullmaktMetadataResponse``);
- permission codes are opaque UUIDs; errors are RFC 9457 ``application/problem+json``.

The conformance kit must pass it. ``--lenient`` turns it into a registry of the old, home-made kind the kit must
fail: ``tredjeman`` optional (every agency at once) and entries without ``_sig``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "konformans-konsument"
CLIENT_SECRET = "reference-like-client-secret-0123456789abcdef"
SCOPES = {"fullmakt:hamta"}
TOKEN_LIFETIME_S = 300
BASE = "/dfm/formedlare/v1"
HOLDER = "199009091233"  # fictitious test personnummer: the representative
AGENCY_A = "2120000001"  # fictitious agencies (tredjeman)
AGENCY_B = "2120000002"
CODE_A1 = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
CODE_A2 = "9b0c4a5e-2f1d-4c8e-9a57-0d2f8e6b1c33"
CODE_B1 = "c2d6e1f0-8a4b-4f3e-b1d2-6e7f8a9b0c1d"
SIGNING_KEY = b"reference-like-registry-signing-key"
AGENCY_NAMES = {AGENCY_A: "Testköpings kommun", AGENCY_B: "Testverket"}

_tokens: dict[str, float] = {}  # access token -> expiry (monotonic)
_lock = threading.Lock()
LENIENT = False  # set by --lenient


def _person(pnr: str, fornamn: str, namn: str) -> dict:
    return {"id": pnr, "typ": "pnr", "roll": "PRIVAT", "fornamn": fornamn, "namn": namn}


def _company(orgnr: str, namn: str) -> dict:
    return {"id": orgnr, "typ": "orgnr", "roll": "ORGANISATION", "namn": namn}


def _mandate(ident: str, giver: dict, tredjeman: str, grants: list[tuple[str, str]], *, days_from: int = -30,
             days_to: int | None = 335) -> dict:
    """A mandate in the contract's full ``Fullmakt`` shape, valid relative to today."""
    today = dt.date.today()
    holder = {"id": HOLDER, "typ": "pnr", "fornamn": "Test", "namn": "Ombudsson"}
    signer = {k: v for k, v in giver.items() if k != "roll"} if giver["typ"] == "pnr" else None
    mandate = {
        "id": ident, "ursprung": {"mall": "standard"}, "rubrik": f"Fullmakt hos {AGENCY_NAMES[tredjeman]}",
        "beskrivning": "Företräda fullmaktsgivaren i ärenden hos myndigheten.",
        "giltigFrom": (today + dt.timedelta(days=days_from)).isoformat(),
        "skapare": dict(holder), "skapadTidpunkt": f"{today + dt.timedelta(days=days_from)}T09:00:00+01:00",
        "transportfullmakt": False, "fullmaktsgivare": dict(giver), "fullmaktshavare": [holder],
        "tredjeman": {"id": tredjeman, "namn": AGENCY_NAMES[tredjeman]},
        "signatarer": [{"fysiskPerson": signer}] if signer else [],
        "behorigheter": [{"behorighetsobjekt": {"kod": kod, "rubrik": f"Behörighet {kod[:8]}", "typer": [
            {"typ": "aktiv", "rubrik": "Får agera", "vald": typ == "aktiv", "niva": 2},
            {"typ": "passiv", "rubrik": "Får se", "vald": typ == "passiv", "niva": 1}]}} for kod, typ in grants],
    }
    if days_to is not None:
        mandate["giltigTom"] = (today + dt.timedelta(days=days_to)).isoformat()
    return mandate


OSTRON = _company("5590001235", "Bohusläns Ostron AB")
KARIN = _person("198504124564", "Karin", "Ström")
ASA = _person("197803157895", "Åsa", "Öberg")
MANDATES = [
    _mandate("5b1f0c1e-7d7a-4c53-9a0e-1f2d3c4b5a61", OSTRON, AGENCY_A, [(CODE_A1, "aktiv")]),
    _mandate("6c2a1d2f-8e8b-4d64-8b1f-2a3e4d5c6b72", KARIN, AGENCY_A, [(CODE_A1, "passiv"), (CODE_A2, "aktiv")],
             days_from=-60),
    _mandate("7d3b2e3a-9f9c-4e75-9c2a-3b4f5e6d7c83", KARIN, AGENCY_A, [(CODE_A1, "aktiv")], days_from=-10),
    _mandate("8e4c3f4b-a0ad-4f86-8d3b-4c5a6f7e8d94", ASA, AGENCY_A, [(CODE_A2, "passiv")], days_to=None),
    _mandate("9f5d4a5c-b1be-4a97-9e4c-5d6b7a8f9ea5", ASA, AGENCY_A, [(CODE_A1, "aktiv")], days_from=-90,
             days_to=-1),  # expired yesterday: never counts
    _mandate("a06e5b6d-c2cf-4ba8-8f5d-6e7c8b9a0fb6", OSTRON, AGENCY_B, [(CODE_B1, "aktiv")]),
]


# -- answers ----------------------------------------------------------------------------------------------------

def problem(status: int, title: str, detail: str | None = None, headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json",
                    headers=headers)


def oauth_error(status: int, error: str, headers: dict | None = None) -> Response:
    return Response(json.dumps({"error": error}), status=status, mimetype="application/json", headers=headers)


def ok(body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


# -- OAuth2 -----------------------------------------------------------------------------------------------------

def token(request: Request) -> Response:
    if request.method != "POST":
        return problem(405, "Method Not Allowed")
    form = request.form
    client_id, secret = form.get("client_id"), form.get("client_secret")
    basic = request.headers.get("Authorization", "")
    if basic.startswith("Basic "):
        try:
            pair = base64.b64decode(basic[6:], validate=True).decode()
        except ValueError:
            pair = ":"
        client_id, _, secret = (urllib.parse.unquote(p) for p in pair.partition(":"))
    if not (hmac.compare_digest((client_id or "").encode(), CLIENT_ID.encode())
            and hmac.compare_digest((secret or "").encode(), CLIENT_SECRET.encode())):
        return oauth_error(401, "invalid_client", {"WWW-Authenticate": 'Basic realm="oauth2"'})
    if form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type")
    asked = set((form.get("scope") or " ".join(SCOPES)).split())
    if not asked <= SCOPES:
        return oauth_error(400, "invalid_scope")
    access = secrets.token_urlsafe(32)
    with _lock:
        _tokens[access] = time.monotonic() + TOKEN_LIFETIME_S
    return Response(json.dumps({"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_S,
                                "scope": " ".join(sorted(asked))}), mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


def bearer_ok(request: Request) -> bool:
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer "):
        return False
    with _lock:
        expiry = _tokens.get(given[7:])
    return expiry is not None and expiry > time.monotonic()


# -- the consumer API -------------------------------------------------------------------------------------------

def valid_today(mandate: dict) -> bool:
    today = dt.date.today().isoformat()
    return mandate["giltigFrom"] <= today and ("giltigTom" not in mandate or today <= mandate["giltigTom"])


def sign(entry: dict) -> dict:
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    protected = base64.urlsafe_b64encode(b'{"alg":"HS256"}').rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(hmac.new(SIGNING_KEY, canonical, hashlib.sha256).digest()).rstrip(b"=")
    return {"protected": protected, "signature": signature.decode()}


def search(body: dict) -> Response:
    holder, tredjeman, codes = body.get("fullmaktshavare"), body.get("tredjeman"), body.get("behorigheter")
    if not isinstance(holder, dict) or not isinstance(holder.get("id"), str) or not isinstance(holder.get("typ"), str):
        return problem(400, "Bad Request", "fullmaktshavare {id, typ} is required")
    if LENIENT and tredjeman is None:
        pass  # DEFECT when lenient: every agency at once
    elif not isinstance(tredjeman, str) or not re.fullmatch(r"\d{10}", tredjeman):
        return problem(400, "Bad Request", "tredjeman (10 digits) is required")
    if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
        return problem(400, "Bad Request", "behorigheter (a list of codes, [] for all) is required")
    page = body.get("page") or {}
    number, size = page.get("page", 0), page.get("size", 20)
    if type(number) is not int or type(size) is not int or number < 0 or size < 1:
        return problem(400, "Bad Request", "page.page >= 0 and page.size >= 1")
    grants: dict[tuple, dict] = {}  # (grantor id, kod) -> (typ, giltigFrom, mandate id)
    givers = {}
    for m in MANDATES:
        if (tredjeman is not None and m["tredjeman"]["id"] != tredjeman) or not valid_today(m) or not any(
                h["id"] == holder["id"] and h["typ"] == holder["typ"] for h in m["fullmaktshavare"]):
            continue
        givers[m["fullmaktsgivare"]["id"]] = m["fullmaktsgivare"]
        for b in m["behorigheter"]:
            obj = b["behorighetsobjekt"]
            if codes and obj["kod"] not in codes:
                continue
            typ = next(t["typ"] for t in obj["typer"] if t["vald"])
            rank = (typ == "aktiv", m["giltigFrom"])  # aktiv beats passiv; then the latest valid from
            key = (m["fullmaktsgivare"]["id"], obj["kod"])
            if key not in grants or rank > grants[key]["rank"]:
                grants[key] = {"rank": rank, "kod": obj["kod"], "typ": typ, "fullmakt": m["id"]}
    entries = []
    for gid, giver in givers.items():
        held = [{"kod": g["kod"], "typ": g["typ"], "fullmakt": g["fullmakt"]}
                for (g_id, _), g in sorted(grants.items()) if g_id == gid]
        if held:
            entry = {"fullmaktsgivare": giver, "fullmaktshavare": [{"id": holder["id"], "typ": holder["typ"]}],
                     "tredjeman": tredjeman or AGENCY_A, "behorigheter": held}
            entries.append(entry if LENIENT else {**entry, "_sig": sign(entry)})  # DEFECT when lenient: no _sig
    entries.sort(key=lambda e: (e["fullmaktsgivare"]["namn"], e["fullmaktsgivare"].get("fornamn", "")))
    total = len(entries)
    return ok({"fullmaktsgivare": entries[number * size:(number + 1) * size],
               "page": {"size": size, "number": number, "totalElements": total,
                        "totalPages": -(-total // size)}})


def fetch(tredjeman: str, ident: str) -> Response:
    for m in MANDATES:
        if m["id"] == ident and m["tredjeman"]["id"] == tredjeman:
            return ok({"fullmakt": m, "metadata": {"referensnummer": "MOF" + ident[:10].replace("-", ""),
                                                   "registreringstidpunkt": m["skapadTidpunkt"]}})
    return problem(404, "Not Found", "no such mandate at this tredjeman")


FETCH = re.compile(rf"^{re.escape(BASE)}/tredjeman/(\d{{10}})/fullmakter/([^/]+)$")


@Request.application
def app(request: Request) -> Response:
    if request.path == "/oauth2/token":
        return token(request)
    fetching = FETCH.match(request.path)
    if request.path != BASE + "/sok/behorigheter" and not fetching:
        return problem(404, "Not Found")
    if not bearer_ok(request):
        return problem(401, "Unauthorized", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if fetching:
        if request.method != "GET":
            return problem(405, "Method Not Allowed")
        return fetch(fetching.group(1), urllib.parse.unquote(fetching.group(2)))
    if request.method != "POST":
        return problem(405, "Method Not Allowed")
    if request.mimetype != "application/json":
        return problem(415, "Unsupported Media Type")
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError:
        return problem(400, "Bad Request", "the body is not JSON")
    if not isinstance(body, dict):
        return problem(400, "Bad Request", "the body must be a JSON object")
    return search(body)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="A registry answering like Mina ombud's consumer API")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lenient", action="store_true", help="tredjeman optional and no _sig (for the kit to fail)")
    args = parser.parse_args(argv)
    global LENIENT
    LENIENT = args.lenient
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(f"Reference-like registry on http://127.0.0.1:{server.server_port}{BASE}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
