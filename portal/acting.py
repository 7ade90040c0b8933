"""Acting for others, per request: who the user may act for now, and whom they act for.

Two look-ups, asked at once: the signatory source (companies the user signs for)
and Mina ombud (mandates, one search per connected agency). Each has its own
wall-clock deadline; a look-up that fails or runs out of time is left out and
named on the page (fail closed: without both, the user may still act for
themself). A complete answer is trusted for at most ``representation_ttl_s``
seconds, so a revoked mandate stops working within that bound. The chosen party
lives in the session as an opaque handle and is checked again on every request.
The pages that switch and list parties are in ``portal.web.acting``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from types import SimpleNamespace

from flask import current_app, flash, g, session
from flask_babel import gettext as _
from flask_login import current_user

from portal.catalog import catalogs
from portal.ombud import LookupFailed
from portal.permissions import mappings_for
from portal.representation import (INVALID_GRANTOR, INVALID_SIGNATORY, OWN, REGISTRY_AGENCY_FAILED, REGISTRY_FAILED,
                                   SIGNATORY_FAILED, Party,
                                   Representation, find_by_handle, party_handle, resolve)
from portal.runtime import config, correlation_id, runtime, store
from portal.standard.clock import now
from portal.standard.identity import parse_person
from portal.timing import stage

_registry_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="registry")
log = logging.getLogger(__name__)

LOOKUP_FAILURES = (SIGNATORY_FAILED, REGISTRY_FAILED)


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


# The stored registry answer (its JSON text) -> the Representation made of it, per process: every request reads
# the answer (an instance may have stored a newer one), but a representative of 300 companies made 300 parties
# from it each time. Keyed by a digest of the text, so a changed answer is never served from here. Bounded.
_parsed_representations: OrderedDict = OrderedDict()
_PARSED_KEEP = 256
_parsed_lock = threading.Lock()


def _cached_representation(user) -> Representation | None:
    ttl = config().settings.representation_ttl_s
    cached = store().cached_representation_text(user.handle) if ttl > 0 else None
    if not cached or now() - cached[0] >= dt.timedelta(seconds=ttl):
        return None
    key = (config().settings.database, user.handle, hashlib.blake2b(cached[1].encode(), digest_size=16).digest())
    with _parsed_lock:
        made = _parsed_representations.get(key)
        if made is not None:
            _parsed_representations.move_to_end(key)
            return made
    data = json.loads(cached[1])
    made = Representation(tuple(Party.from_json(p) for p in data["parties"]), tuple(data["problems"]))
    with _parsed_lock:
        _parsed_representations[key] = made
        while len(_parsed_representations) > _PARSED_KEEP:
            _parsed_representations.popitem(last=False)
    return made


def start_representation() -> Party | None:
    """Get ready to ask the registry in the background when its cached answer is stale.

    Returns the user's own party when the user acts for themself, so the page can ask the
    agencies meanwhile: a first page then waits for the slower of the two, not their sum.
    The look-ups start at :func:`ask_registry_now`, which the page calls once the agencies
    have been asked (their questions go first: the look-ups' own work would delay them).
    """
    if session.get("party"):
        return None
    if "representation" not in g and "registry_asked" not in g:
        with stage("acting"):
            cached = _cached_representation(current_user)
        if cached is not None:
            g.representation = cached
        else:
            g.registry_wanted = True
    return Party(current_user.identity, current_user.name, OWN)


def ask_registry_now() -> None:
    """Start the look-ups :func:`start_representation` got ready for (nothing when none are wanted)."""
    if g.pop("registry_wanted", False):
        g.registry_asked = _start_lookups(current_user)


def _start_lookups(user) -> tuple[Future, Future]:
    """Both look-ups at once: a first page waits for the slower of the two, not their sum."""
    rt, cid = runtime(), correlation_id()
    agencies = [p.orgnr for p in rt.config.producers]
    return (_registry_pool.submit(rt.signatories.companies, user.identity, cid),
            _registry_pool.submit(rt.ombud.permissions, user.identity, agencies, cid))


def _outcome(future: Future, end: float, source: str):
    """The look-up's result, or None after logging why there is none (never waits past ``end``, monotonic)."""
    try:
        return future.result(timeout=max(end - time.monotonic(), 0.01))
    except FutureTimeout:
        log.warning("%s look-up gave no answer in time correlation_id=%s", source, correlation_id())
    except LookupFailed as exc:
        log.warning("%s look-up failed correlation_id=%s reason=%s", source, correlation_id(), exc)
    return None


def _ask_registry(user) -> Representation:
    cfg = config()
    if user is current_user:
        ask_registry_now()  # wanted but not started yet (no agency was asked): start now
    started = g.pop("registry_asked", None) if user is current_user else None
    asked = started or _start_lookups(user)
    # Both look-ups end by their own deadlines; this one bound keeps the request from waiting on a stuck thread.
    end = time.monotonic() + max(cfg.ombud.deadline_s, cfg.signatory.deadline_s if cfg.signatory else 0.0) + 1.0
    signatory = _outcome(asked[0], end, "signatory")
    found = _outcome(asked[1], end, "registry")
    problems = []
    if signatory is None:
        problems.append(SIGNATORY_FAILED)
    if found is None:
        problems.append(REGISTRY_FAILED)
        entries = []
    else:
        entries, failures = found
        for failure in failures:
            log.warning("registry search failed tredjeman=%s correlation_id=%s reason=%s",
                        failure.agency, correlation_id(), failure)
            problems.append(REGISTRY_AGENCY_FAILED + (failure.agency or ""))
    # Opaque codes get their meaning from the config, else from the agency's catalog (fetched only if needed).
    rep = resolve(user.identity, user.name, signatory or [], entries, mappings_for(cfg, entries, catalogs))
    rep = Representation(rep.parties, tuple(problems) + rep.problems)
    if not problems:
        # Only a complete answer is kept: after a failure, the next request asks again.
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


def lookup_notices(rep: Representation) -> list[str]:
    """What went wrong while finding whom the user may act for, in words naming the look-up."""
    names = {p.orgnr: p.name for p in config().producers}
    notices = []
    for problem in rep.problems:
        if problem == SIGNATORY_FAILED:
            notices.append(_("We could not look up which companies you may sign for (the company register did not "
                             "answer in time or answered in a way we cannot read), so they are not listed now."))
        elif problem == REGISTRY_FAILED:
            notices.append(_("We could not check your mandates in Mina ombud (it did not answer in time or answered "
                             "in a way we cannot read), so nobody who gave you a mandate is listed now."))
        elif problem.startswith(REGISTRY_AGENCY_FAILED):
            agency = names.get(problem[len(REGISTRY_AGENCY_FAILED):], _("an agency"))
            notices.append(_("We could not check your mandates for %(agency)s in Mina ombud, so cases there are not "
                             "shown for those who gave you a mandate.", agency=agency))
        elif problem == INVALID_SIGNATORY:
            notices.append(_("The company register named a company we cannot identify; it is left out."))
        elif problem == INVALID_GRANTOR:
            notices.append(_("Mina ombud named someone who gave you a mandate in a way we cannot read; "
                             "that mandate is left out."))
    if any(p in LOOKUP_FAILURES or p.startswith(REGISTRY_AGENCY_FAILED) for p in rep.problems):
        notices.append(_("You can still see your own cases. We will try again on your next page."))
    return notices
