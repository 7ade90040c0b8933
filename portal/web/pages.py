"""What every page needs: the acting party's cases (asking stale agencies first), the seen-log, the context of the
page frame (party switcher, look-up notices), and the htmx response. Views import this; no view imports another."""

from __future__ import annotations

from flask import current_app, make_response, request
from flask_babel import get_locale
from flask_login import current_user

from portal import caselist, catalog
from portal.acting import acting_party, handle_for, lookup_notices, representation
from portal.case import (BASELINE, agency_baseline, build_cases, gate_for, mark_unread, name_cases, party_handle_key,
                         visible)
from portal.party_counts import party_counts
from portal.representation import party_handles
from portal.runtime import config, correlation_id, runtime, store, store_factory
from portal.store import CaseQuery
from portal.sync import refresh, visible_events, visible_producers
from portal.timing import stage


def refresh_party(party, meanwhile=None):
    """Ask the agencies whose cached answer is stale; returns each visible producer's status.

    ``meanwhile`` runs once they have been asked (``sync.refresh``).
    """
    with stage("sync"):
        return refresh(store(), config(), runtime().producers, party, current_user.identity.digits, correlation_id(),
                       language=str(get_locale() or "sv"), store_factory=store_factory(), match_language=True,
                       meanwhile=meanwhile)


def handle_key(party) -> str:
    return party_handle_key(current_app.secret_key, party.identity.digits)


def seen_log(party, statuses: dict) -> dict:
    """The user's seen-log for the party, starting it (the calm first visit) when there is none.

    Each agency's own start is the first page that shows its answer (``case.new_since``).
    """
    with stage("seen"):
        return _seen_log(party, statuses)


def _seen_log(party, statuses: dict) -> dict:
    seen = store().seen_cases(current_user.handle, party.identity.digits)
    starts = [BASELINE] if BASELINE not in seen else []
    starts += [agency_baseline(s.slug) for s in statuses.values()
               if s.last_success_at is not None and agency_baseline(s.slug) not in seen]
    if not starts:
        return seen
    at = store().mark_seen(current_user.handle, party.identity.digits, *starts)
    return {**seen, **dict.fromkeys(starts, at)}  # as a second read would give it, without that read


def name(cases) -> dict:
    """Title the cases by their types' catalog names (in the page's language); returns the names."""
    names = catalog.type_names()
    name_cases(cases, names, str(get_locale() or "sv"))
    return names


def load_cases(prefixes: tuple[str, ...] | None = None, *, fetch: bool = True):
    """Refresh where stale, then the acting party's cases (with unread counts) and each producer's status.

    Builds cases from their events: for pages that need whole cases (situations). The overview reads pages of
    case rows instead (``caselist``). With ``prefixes``, only the cases whose latest type is under one of them,
    found through the case rows (the list's rule: only cases this basis may see whole), so that a page about a
    few cases does not read a long history. With ``fetch=False`` no agency is asked: the cache as it is.
    """
    party = acting_party()
    cfg = config()
    statuses = refresh_party(party) if fetch else {}
    names = {p.slug: p.name for p in cfg.producers}
    if prefixes is None:
        stored = visible_events(store(), cfg, party)
    else:
        digits = party.identity.digits
        query = CaseQuery(producers=tuple(p.slug for p in visible_producers(cfg, party)),
                          gate=gate_for(party, cfg.producers), prefixes=prefixes)
        keys = [(c[0], c[1]) for c in store().case_index(digits, query)]
        found = store().events_of_cases(digits, keys)  # one statement for many cases, not one per case
        stored = [s for key in keys for s in found.get(key, [])]
    events = [(s.producer, names[s.producer], s.event, s.first_stored_at) for s in stored]
    cases = build_cases(events, handle_key=handle_key(party))
    name(cases)
    seen = seen_log(party, statuses)
    mark_unread(cases, seen)
    return party, cases, seen, statuses


def find_case(party, handle: str) -> list:
    """The stored events of the acting party's case with this handle, if this basis may see it (``case.visible``);
    else an empty list. From the cache: no agency is asked."""
    cfg = config()
    reached = [p.slug for p in visible_producers(cfg, party)]
    with stage("case_query"):
        stored = caselist.find_case_events(store(), party, reached, handle, handle_key(party))
    orgnr = {p.slug: p.orgnr for p in cfg.producers}
    # The same rule as the list: a case is shown only if every one of its events is one this basis may see.
    if not stored or not visible(party, orgnr, stored[0].producer, [s.event.typ for s in stored]):
        return []
    return stored


def page_context(party):
    """What the page frame shows: the party switcher (with counts), look-up notices, codes we cannot interpret."""
    rep = representation()
    return {
        "party": party,
        "parties": list(zip(party_handles(current_app.secret_key, current_user.nonce, rep.parties), rep.parties)),
        "party_counts": switcher_counts(rep.parties),
        "current_handle": handle_for(party),
        "lookup_notices": lookup_notices(rep),
        "uninterpretable": sorted({p.name for p in config().producers if party.uninterpretable_at(p.orgnr)}),
    }


def switcher_counts(parties) -> dict:
    """Per party in the switcher (shown only with more than one): what waits and what is new, from the cache."""
    if len(parties) < 2 or is_htmx_swap():  # a swapped fragment has no switcher
        return {}
    with stage("party_counts"):
        return party_counts(store(), parties, current_user.handle, current_app.secret_key, config().producers)


def is_htmx_swap() -> bool:
    """An htmx request for a fragment (a history restore wants the full page)."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
            and headers.get("HX-Boosted") != "true")  # a boosted navigation wants the whole page


def respond(body: str, status: int = 200):
    """A page or its htmx fragment: caches must keep the two apart."""
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response
