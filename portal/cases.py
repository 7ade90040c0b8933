"""The overview and the case page for the acting party."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from portal import audit, caselist, catalog
from portal.case_names import type_name
from portal import filters as filters_mod
from portal.acting import acting_party, handle_for, lookup_notices, representation, start_representation
from portal.case import (BASELINE, agency_baseline, build_cases, gate_for, is_new, mark_unread, name_cases, new_since,
                         party_handle_key, visible)
from portal.party_counts import party_counts
from portal.representation import party_handles
from portal.runtime import config, correlation_id, runtime, store, store_factory
from portal.store import CaseQuery
from portal.sync import refresh, visible_events, visible_producers
from portal.timing import stage

bp = Blueprint("cases", __name__)


def _refresh(party):
    """Ask the agencies whose cached answer is stale; returns each visible producer's status."""
    with stage("sync"):
        return refresh(store(), config(), runtime().producers, party, current_user.identity.digits, correlation_id(),
                       language=str(get_locale() or "sv"), store_factory=store_factory(), match_language=True)


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
    for key in starts:
        store().mark_seen(current_user.handle, party.identity.digits, key)
    return store().seen_cases(current_user.handle, party.identity.digits) if starts else seen


def _names(cases) -> dict:
    names = catalog.type_names()
    name_cases(cases, names, str(get_locale() or "sv"))
    return names


def _swedish_title(case, names: dict) -> str:
    """The case's name for the audit log, always in Swedish (shown with lang="sv" in either language)."""
    found = type_name(case.case_type, names, "sv")
    return found[0] if found and found[1] == "sv" else case.first.rubrik


def load_cases(prefixes: tuple[str, ...] | None = None):
    """Refresh where stale, then the acting party's cases (with unread counts) and each producer's status.

    Builds cases from their events: for pages that need whole cases (situations). The overview reads pages of
    case rows instead (``caselist``). With ``prefixes``, only the cases whose latest type is under one of them,
    found through the case rows (the list's rule: only cases this basis may see whole), so that a page about a
    few cases does not read a long history.
    """
    party = acting_party()
    cfg = config()
    statuses = _refresh(party)
    names = {p.slug: p.name for p in cfg.producers}
    if prefixes is None:
        stored = visible_events(store(), cfg, party)
    else:
        digits = party.identity.digits
        query = CaseQuery(producers=tuple(p.slug for p in visible_producers(cfg, party)),
                          gate=gate_for(party, cfg.producers), prefixes=prefixes)
        stored = [s for c in store().case_index(digits, query) for s in store().case_events(digits, c[0], c[1])]
    events = [(s.producer, names[s.producer], s.event, s.first_stored_at) for s in stored]
    cases = build_cases(events, handle_key=handle_key(party))
    _names(cases)
    seen = seen_log(party, statuses)
    mark_unread(cases, seen)
    return party, cases, seen, statuses


def page_context(party):
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
        return party_counts(store().db, parties, current_user.handle, current_app.secret_key, config().producers)


def is_htmx_swap() -> bool:
    """An htmx request for a fragment (a history restore wants the full page)."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
            and headers.get("HX-Boosted") != "true")  # a boosted navigation wants the whole page


def _respond(body: str, status: int = 200):
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


@bp.route("/")
@login_required
def overview():
    own = start_representation()  # acting for oneself: ask the registry and the agencies at the same time
    statuses = _refresh(own) if own is not None else None
    party = acting_party()
    if statuses is None or party != own:
        statuses = _refresh(party)
    audit.record_visit(party, follow_up=is_htmx_swap() or bool(request.args))
    cfg = config()
    reached = [p.slug for p in visible_producers(cfg, party)]
    chosen = filters_mod.parse_filters(request.args, reached, [s.slug for s in cfg.situations])
    page_no, page_ok = _page_number(request.args.get("sida"))
    seen_log(party, statuses)
    with stage("sections"):
        view = caselist.overview_page(store(), cfg, party, chosen, reached, handle_key=handle_key(party),
                                      user_handle=current_user.handle, page=page_no, type_names=catalog.type_names(),
                                      locale=str(get_locale() or "sv"))
    context = {
        "overview": view,
        "statuses": list(statuses.values()),
        "case_count": view.total,
        "shown_count": view.shown_total,
        "filters": chosen,
        "page_error": not page_ok,
        "producer_choices": [p for p in cfg.producers if p.slug in reached],
        "situation_choices": cfg.situations,
        "swap": is_htmx_swap(),
        **page_context(party),
    }
    status = 400 if chosen.errors or not page_ok else 200
    template = "partials/case_results.html" if is_htmx_swap() else "pages/overview.html"
    with stage("render"):
        body = render_template(template, **context)
    return _respond(body, status)


def _page_number(value: str | None) -> tuple[int, bool]:
    if value is None or value == "":
        return 0, True
    if value.isascii() and value.isdigit() and len(value) < 6:
        return int(value), True
    return 0, False


@bp.route("/arende/<handle>")
@login_required
def case(handle: str):
    party = acting_party()
    statuses = _refresh(party)
    cfg = config()
    reached = [p.slug for p in visible_producers(cfg, party)]
    with stage("case_query"):
        found_key = caselist.find_case_key(store(), party, reached, handle, handle_key(party))
        stored = store().case_events(party.identity.digits, *found_key) if found_key else []
    orgnr = {p.slug: p.orgnr for p in cfg.producers}
    # The same rule as the list: a case is shown only if every one of its events is one this basis may see.
    if not stored or not visible(party, orgnr, stored[0].producer, [s.event.typ for s in stored]):
        audit.record(party, "case", "not_found")
        abort(404)
    names = {p.slug: p.name for p in cfg.producers}
    found = build_cases([(s.producer, names[s.producer], s.event, s.first_stored_at) for s in stored],
                        handle_key=handle_key(party))[0]
    names = _names([found])
    audit.record(party, "case", subject=_swedish_title(found, names))
    seen = seen_log(party, statuses)
    since = new_since(seen, found.handle, found.producer)
    new_ids = {e.kundhandelse_id for e in found.events if is_new(found, e, since)}
    store().mark_seen(current_user.handle, party.identity.digits, found.handle)
    with stage("render"):
        body = render_template("pages/case.html", case=found, status=statuses.get(found.producer), new_ids=new_ids,
                               **page_context(party))
    return _respond(body)
