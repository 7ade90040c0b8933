"""The overview and the case page for the acting party."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from portal import audit
from portal import filters as filters_mod
from portal.acting import acting_party, handle_for, representation
from portal.overview import BASELINE, build_cases, build_overview, find_case, is_new, mark_unread
from portal.runtime import config, correlation_id, runtime, store
from portal.sync import refresh, visible_events

bp = Blueprint("cases", __name__)


def load_cases():
    """Refresh where stale, then the acting party's cases (with unread counts) and each producer's status."""
    party = acting_party()
    cfg = config()
    statuses = refresh(store(), cfg, runtime().producers, party, current_user.identity.digits, correlation_id(),
                       language=str(get_locale() or "sv"))
    names = {p.slug: p.name for p in cfg.producers}
    events = [(s.producer, names[s.producer], s.event, s.first_stored_at)
              for s in visible_events(store(), cfg, party)]
    cases = build_cases(events, handle_key=f"{current_app.secret_key}:{party.identity.digits}")
    seen = store().seen_cases(current_user.handle, party.identity.digits)
    if BASELINE not in seen:
        store().mark_seen(current_user.handle, party.identity.digits, BASELINE)
        seen = store().seen_cases(current_user.handle, party.identity.digits)
    mark_unread(cases, seen)
    return party, cases, seen, statuses


def page_context(party):
    rep = representation()
    return {
        "party": party,
        "parties": [(handle_for(p), p) for p in rep.parties],
        "current_handle": handle_for(party),
        "registry_problem": bool(rep.problems),
    }


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
    party, cases, _seen, statuses = load_cases()
    audit.record(party, "overview")
    cfg = config()
    visible_slugs = sorted({c.producer for c in cases} | {s.slug for s in statuses.values()})
    chosen = filters_mod.parse_filters(request.args, visible_slugs, [s.slug for s in cfg.situations])
    shown = filters_mod.apply(cases, chosen, cfg.situations)
    context = {
        "overview": build_overview(shown, () if chosen.situation else cfg.situations),
        "statuses": list(statuses.values()),
        "case_count": len(cases),
        "shown_count": len(shown),
        "filters": chosen,
        "producer_choices": [p for p in cfg.producers if p.slug in visible_slugs],
        "situation_choices": cfg.situations,
        "swap": is_htmx_swap(),
        **page_context(party),
    }
    status = 400 if chosen.errors else 200
    template = "partials/case_results.html" if is_htmx_swap() else "pages/overview.html"
    return _respond(render_template(template, **context), status)


@bp.route("/arende/<handle>")
@login_required
def case(handle: str):
    party, cases, seen, statuses = load_cases()
    found = find_case(cases, handle)
    if found is None:
        audit.record(party, "case", "not_found")
        abort(404)
    audit.record(party, "case")
    seen_at = seen.get(found.handle)
    new_ids = {e.kundhandelse_id for e in found.events if is_new(found, e, seen_at, seen.get(BASELINE))}
    store().mark_seen(current_user.handle, party.identity.digits, found.handle)
    return _respond(render_template("pages/case.html", case=found, status=statuses.get(found.producer),
                                    new_ids=new_ids, **page_context(party)))
