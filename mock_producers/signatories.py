"""Who may sign for a company: a stand-in for Bolagsverket's company data, apart from Mina ombud.

``POST /foretagsdata/firmatecknare`` with ``{"pnr": "<12 digits>"}`` (in the body,
never in a URL) and header ``X-API-Key`` (this source's own key) ->
``{"firmatecknare": [{"orgnr", "namn"}]}``. Its data is the ``firmatecknare`` list of
the registry file; its knobs are under the slug ``foretagsdata``, apart from the
registry's, so either can fail alone.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request

from portal.standard.identity import InvalidIdentity, parse_person

from .producer import apply_outage, error, json_response, state
from .server import asked_at

bp = Blueprint("signatories", __name__, url_prefix="/foretagsdata")
SLUG = "foretagsdata"


@bp.route("/firmatecknare", methods=["POST"])
def firmatecknare():
    """The companies a person may sign for."""
    knob = state().board.wait(SLUG, asked_at(request.environ))
    faulty = apply_outage(knob)
    if faulty is not None:
        return faulty
    given = request.headers.get("X-API-Key")
    if given is None or not hmac.compare_digest(given.encode(), state().signatory_key.encode()):
        return error(401, "missing or wrong X-API-Key")
    if knob.fault == "malformed":
        return Response('{"firmatecknare": [{"orgnr', mimetype="application/json")
    body = request.get_json(silent=True)
    pnr = body.get("pnr") if isinstance(body, dict) else None
    try:
        person = parse_person(pnr if isinstance(pnr, str) else "")
    except InvalidIdentity as exc:
        return error(400, f"pnr: {exc}")
    rows = [s for s in state().registry_snapshot().get("firmatecknare", []) if s["pnr"] == person.digits]
    return json_response({"firmatecknare": [{"orgnr": s["orgnr"], "namn": s.get("namn", "")} for s in rows]})
