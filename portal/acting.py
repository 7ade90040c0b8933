"""Acting for others, per request: who the user may act for now, and whom they act for.

The registry's answer is trusted for at most ``representation_ttl_s`` seconds,
so a revoked mandate stops working within that bound. The chosen party lives in
the session as an opaque handle and is checked again on every request.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from portal import audit
from portal.ombud import RegistryUnavailable
from portal.representation import OWN, Party, Representation, find_by_handle, party_handle, resolve
from portal.runtime import config, correlation_id, runtime, store
from portal.standard.identity import parse_person
from portal.store import now
from portal.timing import stage

bp = Blueprint("acting", __name__)
_registry_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="registry")
log = logging.getLogger(__name__)

REGISTRY_UNAVAILABLE = "registry_unavailable"


def representation() -> Representation:
    """Every party the current user may act for now (cached per request and up to the TTL)."""
    if "representation" not in g:
        g.representation = representation_for(current_user)
    return g.representation


def representation_for(user) -> Representation:
    """Every party ``user`` (the logged-in user, or a ``users`` row) may act for now.

    The registry's answer is reused for at most ``representation_ttl_s`` seconds.
    """
    if isinstance(user, dict):
        user = SimpleNamespace(handle=user["handle"], identity=parse_person(user["pnr"]), name=user["name"])
    return _cached_representation(user) or _ask_registry(user)


def _cached_representation(user) -> Representation | None:
    ttl = config().settings.representation_ttl_s
    cached = store().cached_representation(user.handle) if ttl > 0 else None
    if cached and now() - cached[0] < dt.timedelta(seconds=ttl):
        return Representation(tuple(Party.from_json(p) for p in cached[1]["parties"]), tuple(cached[1]["problems"]))
    return None


def start_representation() -> Party | None:
    """Start asking the registry in the background when its cached answer is stale.

    Returns the user's own party when the user acts for themself, so the page can ask the
    agencies meanwhile: a first page then waits for the slower of the two, not their sum.
    """
    if session.get("party"):
        return None
    if "representation" not in g and "registry_asked" not in g:
        with stage("acting"):
            cached = _cached_representation(current_user)
        if cached is not None:
            g.representation = cached
        else:
            client, cid, who = runtime().ombud, correlation_id(), current_user.identity
            g.registry_asked = (_registry_pool.submit(client.signatory_of, who, cid),
                                _registry_pool.submit(client.permissions, who, cid))
    return Party(current_user.identity, current_user.name, OWN)


def _ask_registry(user) -> Representation:
    client = runtime().ombud
    cid = correlation_id()
    started = g.pop("registry_asked", None) if user is current_user else None
    try:
        # Both look-ups at once: a first page waits for the slower of the two, not their sum.
        asked = started or (_registry_pool.submit(client.signatory_of, user.identity, cid),
                            _registry_pool.submit(client.permissions, user.identity, cid))
        signatory, permissions = asked[0].result(), asked[1].result()
    except RegistryUnavailable as exc:
        # Fail closed: without the registry, the user acts only for themself. Not cached.
        log.warning("registry unavailable correlation_id=%s reason=%s", correlation_id(), exc)
        return Representation((resolve(user.identity, user.name, [], []).parties[0],), (REGISTRY_UNAVAILABLE,))
    rep = resolve(user.identity, user.name, signatory, permissions)
    store().save_representation(user.handle, {"parties": [p.to_json() for p in rep.parties],
                                              "problems": list(rep.problems)})
    return rep


def handle_for(party: Party) -> str:
    return party_handle(current_app.secret_key, current_user.nonce, party)


def acting_party() -> Party:
    """The party the user acts for in this request; themself unless a still-valid choice says otherwise."""
    if "acting_party" in g:
        return g.acting_party
    with stage("acting"):
        return _choose_party()


def _choose_party() -> Party:
    rep = representation()
    chosen = session.get("party")
    party = None
    if chosen:
        party = find_by_handle(rep, chosen, current_app.secret_key, current_user.nonce)
        if party is None:
            session.pop("party", None)
            flash(_("You can no longer act for the party you had chosen. You now see your own cases."), "warning")
    g.acting_party = party or rep.parties[0]
    return g.acting_party


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
