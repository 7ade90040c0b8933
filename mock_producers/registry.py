"""A Mina ombud-style mandate registry: ``sok/behorigheter``, plus our signatory look-up.

Only mandates valid today count, ``aktiv`` beats ``passiv``, revoked mandates are
excluded, answers are paged. The signatory endpoint stands in for Bolagsverket's
company register; it takes the personnummer in the body, never in the URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math

from flask import Blueprint, request

from portal.standard import schemas
from portal.standard.identity import InvalidIdentity, parse_person
from portal.standard.mandates import find_permissions

from .producer import error, json_response, state

bp = Blueprint("registry", __name__, url_prefix="/minaombud")


def _refused():
    if not state().key_ok(request.headers.get("X-API-Key")):
        return error(401, "missing or wrong X-API-Key")
    if request.mimetype != "application/json":
        return error(415, "the request body must be application/json")
    return None


def _sign(entry: dict) -> dict:
    """A stand-in for the registry's signature: HMAC-SHA256 over the canonical entry."""
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    value = hmac.new(state().admin_key.encode(), canonical, hashlib.sha256).hexdigest()
    return {"alg": "HS256", "kid": "mock-minaombud", "value": value}


@bp.route("/sok/behorigheter", methods=["POST"])
def sok_behorigheter():
    knob = state().board.wait("minaombud")
    if knob.fault == "error500":
        return error(500, "internal error at the registry (simulated)")
    refused = _refused()
    if refused is not None:
        return refused
    body = request.get_json(silent=True)
    if body is None:
        return error(400, "the request body is not valid JSON")
    found = schemas.problems("ombud", body, "SokBehorigheter")
    if found:
        return error(400, "invalid request: " + "; ".join(found[:5]))
    registry = state().registry_snapshot()
    entries = find_permissions(registry["fullmakter"], body["fullmaktshavare"], today=state().today(),
                               giver=body.get("fullmaktsgivare"), tredjeman=body.get("tredjeman"),
                               codes=body.get("behorigheter") or None)
    page = body.get("page", {})
    number, size = page.get("page", 0), page.get("size", 20)
    chunk = entries[number * size:(number + 1) * size]
    for entry in chunk:
        entry["_sig"] = _sign(entry)
    return json_response({
        "fullmaktsgivare": chunk,
        "page": {"size": size, "number": number, "totalElements": len(entries),
                 "totalPages": math.ceil(len(entries) / size) if entries else 0},
    })


@bp.route("/firmatecknare", methods=["POST"])
def firmatecknare():
    """Our endpoint: the companies a person may sign for. Body ``{"pnr": "<12 digits>"}``."""
    knob = state().board.wait("minaombud")
    if knob.fault == "error500":
        return error(500, "internal error at the registry (simulated)")
    refused = _refused()
    if refused is not None:
        return refused
    body = request.get_json(silent=True)
    pnr = body.get("pnr") if isinstance(body, dict) else None
    try:
        person = parse_person(pnr if isinstance(pnr, str) else "")
    except InvalidIdentity as exc:
        return error(400, f"pnr: {exc}")
    rows = [s for s in state().registry_snapshot().get("firmatecknare", []) if s["pnr"] == person.digits]
    return json_response({"firmatecknare": [{"orgnr": s["orgnr"], "namn": s.get("namn", "")} for s in rows]})
