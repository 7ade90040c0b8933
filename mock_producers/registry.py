"""A Mina ombud registry speaking Bolagsverket's consumer API (``dfm_konsument_v1``).

- ``POST /minaombud/oauth2/token``: OAuth2 client credentials (``client_id`` and
  ``client_secret`` in the form or as HTTP Basic, scope ``fullmakt:hamta``) ->
  a Bearer token valid ``TOKEN_TTL_S`` seconds.
- ``POST /minaombud/dfm/formedlare/v1/sok/behorigheter`` with ``fullmaktshavare``,
  ``tredjeman`` and ``behorigheter`` required (400 without): one entry per
  grantor for that agency, sorted by name, paged, each with a ``_sig``.
- ``GET /minaombud/dfm/formedlare/v1/tredjeman/{orgnr}/fullmakter/{id}``: one
  whole mandate with its metadata (404 when the agency or mandate is unknown).

Only mandates valid today count, ``aktiv`` beats ``passiv``, revoked mandates are
excluded. Knobs under the slug ``minaombud`` (latency, down, error500, timeout,
malformed) apply to every path.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time

from flask import Blueprint, Response, request

from portal.standard import schemas
from portal.standard.mandates import find_mandate, find_permissions, signature

from .producer import apply_outage, error, json_response, state
from .server import asked_at

bp = Blueprint("registry", __name__, url_prefix="/minaombud")
BASE = "/dfm/formedlare/v1"
SCOPE = "fullmakt:hamta"
TOKEN_TTL_S = 300
CLIENT_ID = "mina-arenden-portal"

_tokens: dict[str, float] = {}  # token -> monotonic expiry; shared by every app in the process (tests run one)
_tokens_lock = threading.Lock()


def _knob_fault() -> Response | None:
    knob = state().board.wait("minaombud", asked_at(request.environ))
    return apply_outage(knob) or (Response('{"fullmaktsgivare": [{"fullm', mimetype="application/json")
                                  if knob.fault == "malformed" else None)


def _credentials() -> tuple[str, str]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username or "", auth.password or ""
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


@bp.route("/oauth2/token", methods=["POST"])
def token():
    """OAuth2 client credentials grant (RFC 6749 4.4); errors as RFC 6749 5.2 says."""
    faulty = _knob_fault()
    if faulty is not None:
        return faulty
    if request.form.get("grant_type") != "client_credentials":
        return json_response({"error": "unsupported_grant_type"}, 400)
    client_id, secret = _credentials()
    expected = state().ombud_client_secret
    if client_id != CLIENT_ID or not hmac.compare_digest(secret.encode(), expected.encode()):
        return json_response({"error": "invalid_client"}, 401)
    scopes = request.form.get("scope", SCOPE).split()
    if scopes != [SCOPE]:
        return json_response({"error": "invalid_scope"}, 400)
    value = secrets.token_urlsafe(32)
    with _tokens_lock:
        now = time.monotonic()
        for old in [t for t, end in _tokens.items() if end < now]:
            del _tokens[old]
        _tokens[value] = now + TOKEN_TTL_S
    return json_response({"access_token": value, "token_type": "Bearer", "expires_in": TOKEN_TTL_S, "scope": SCOPE})


def revoke_tokens() -> None:
    """Forget every token issued (admin: a consumer must then fetch a new one after its 401)."""
    with _tokens_lock:
        _tokens.clear()


def _unauthorized() -> Response | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    with _tokens_lock:
        end = _tokens.get(value.strip()) if scheme.lower() == "bearer" else None
    if end is None or end < time.monotonic():
        response = error(401, "missing, unknown or expired Bearer token")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return None


@bp.route(BASE + "/sok/behorigheter", methods=["POST"])
def sok_behorigheter():
    refused = _knob_fault() or _unauthorized()
    if refused is not None:
        return refused
    if request.mimetype != "application/json":
        return error(415, "the request body must be application/json")
    body = request.get_json(silent=True)
    if body is None:
        return error(400, "the request body is not valid JSON")
    found = schemas.problems("ombud", body, "SokBehorigheter")
    if found:
        return error(400, "invalid request: " + "; ".join(found[:5]))
    registry = state().registry_snapshot()
    entries = find_permissions(registry["fullmakter"], body["fullmaktshavare"], today=state().today(),
                               giver=body.get("fullmaktsgivare"), tredjeman=body["tredjeman"],
                               codes=body["behorigheter"] or None)
    page = body.get("page") or {}
    number, size = page.get("page", 0), page.get("size", 20)
    chunk = entries[number * size:(number + 1) * size]
    for entry in chunk:
        entry["_sig"] = signature(entry, state().admin_key)
    return json_response({
        "fullmaktsgivare": chunk,
        "page": {"size": size, "number": number, "totalElements": len(entries),
                 "totalPages": math.ceil(len(entries) / size) if entries else 0},
    })


@bp.route(BASE + "/tredjeman/<tredjeman>/fullmakter/<fullmakt_id>", methods=["GET"])
def hamta_fullmakt(tredjeman: str, fullmakt_id: str):
    """One whole mandate (FullmaktMetadataResponse), also when expired or revoked: the metadata says so."""
    refused = _knob_fault() or _unauthorized()
    if refused is not None:
        return refused
    found = find_mandate(state().registry_snapshot()["fullmakter"], tredjeman, fullmakt_id)
    if found is None:
        return error(404, "no such third party or mandate")
    fullmakt = {k: v for k, v in found.items() if k != "aterkallad"}
    fullmakt["_sig"] = signature(fullmakt, state().admin_key)
    number = int(hashlib.sha256(fullmakt_id.encode()).hexdigest()[:12], 16) % 10**10
    prefix = "MOF" if found["fullmaktsgivare"]["typ"] == "orgnr" else "MOP"
    metadata = {"referensnummer": f"{prefix}{number:010d}", "registreringstidpunkt": found["skapadTidpunkt"]}
    if found.get("aterkallad"):
        metadata["aterkallad"] = {"datum": found["aterkallad"] + "T00:00:00+01:00",
                                  "person": dict(found["fullmaktsgivare"])}
    return json_response({"fullmakt": fullmakt, "metadata": metadata})
