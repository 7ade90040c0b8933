"""Whom the user acts for: the switch (a new session id at every switch) and "Whom you can act for"."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from portal import audit
from portal.acting import acting_party, handle_for, lookup_notices, representation
from portal.across_refresh import read_ages
from portal.party_counts import party_counts
from portal.representation import find_by_handle, party_handle
from portal.runtime import config, correlation_id, runtime, store

bp = Blueprint("acting", __name__)
log = logging.getLogger(__name__)


@bp.route("/act-as", methods=["POST"])
@login_required
def act_as():
    handle = request.form.get("party", "")
    party = find_by_handle(representation(), handle, current_app.secret_key, current_user.nonce)
    if party is None:
        log.info("act-as refused user=%s correlation_id=%s", current_user.handle, correlation_id())
        audit.record(None, "act_as", "refused")
        abort(403)
    audit.record(party, "act_as")
    # A new session id at every switch of party: a session id seen before the switch is worthless after it.
    user = current_user._get_current_object()
    new_nonce = store().rotate_session(user.nonce)
    if new_nonce is None:
        abort(403)
    user.nonce = new_nonce
    login_user(user)
    session["party"] = party_handle(current_app.secret_key, new_nonce, party)
    log.info("act-as user=%s basis=%s", user.handle, party.basis)
    return redirect(url_for("cases.overview"))


@bp.route("/agera-for")
@login_required
def act_for_page():
    """Everyone the user may act for, and for each mandate what it covers (from Mina ombud's fullmakter/{id})."""
    rep = representation()
    cfg = config()
    agencies = {p.orgnr: p.name for p in cfg.producers}
    wanted = [(g.tredjeman, m) for p in rep.parties for g in p.grants for m in g.mandates]
    details = runtime().ombud.mandates(wanted, correlation_id()) if wanted else {}
    counts = party_counts(store(), rep.parties, current_user.handle, current_app.secret_key, cfg.producers)
    ages = read_ages(store(), rep.parties, cfg.producers)
    rows = []
    for party in rep.parties:
        grants = []
        for grant in party.grants:
            mandates = []
            for mandate_id in grant.mandates:
                doc = details.get((grant.tredjeman, mandate_id))
                mandates.append(_mandate_view(doc, grant) if doc else None)
            grants.append({"agency": agencies.get(grant.tredjeman) or _("an agency"), "prefixes": grant.prefixes,
                           "unmapped": grant.unmapped, "mandates": mandates})
        rows.append({"handle": handle_for(party), "party": party, "grants": grants,
                     "counts": counts.get(party.identity.digits),
                     "answered": ages[party.identity.digits].answered_at is not None})
    return render_template("pages/act_for.html", rows=rows, notices=lookup_notices(rep),
                           current_handle=handle_for(acting_party()))


def _mandate_view(doc: dict, grant) -> dict:
    fullmakt = doc["fullmakt"]
    objects = []
    for b in fullmakt["behorigheter"]:
        objekt = b["behorighetsobjekt"]
        chosen = next((t for t in objekt["typer"] if t.get("vald")), None)
        objects.append({"kod": objekt["kod"], "rubrik": objekt.get("rubrik") or objekt["kod"],
                        "typ": chosen["rubrik"] if chosen else "",
                        "understood": objekt["kod"] in grant.codes and objekt["kod"] not in grant.unmapped})
    return {"rubrik": fullmakt["rubrik"], "agency": fullmakt["tredjeman"]["namn"],
            "giltig_from": _date(fullmakt.get("giltigFrom")), "giltig_tom": _date(fullmakt.get("giltigTom")),
            "objects": objects}


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
