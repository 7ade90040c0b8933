"""The overview and the case page for the acting party."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from portal import audit, caselist, catalog
from portal import filters as filters_mod
from portal.acting import acting_party, ask_registry_now, start_representation
from portal.case import build_cases, events_first_shown, is_new, new_since
from portal.case_names import type_name
from portal.runtime import config, store
from portal.sync import visible_producers
from portal.timing import stage
from portal.web.pages import (find_case, handle_key, is_htmx_swap, name, page_context, refresh_party, respond,
                              seen_log)

bp = Blueprint("cases", __name__)


def _swedish_title(case, names: dict) -> str:
    """The case's name for the audit log, always in Swedish (shown with lang="sv" in either language)."""
    found = type_name(case.case_type, names, "sv")
    return found[0] if found and found[1] == "sv" else case.first.rubrik


@bp.route("/")
@login_required
def overview():
    own = start_representation()  # acting for oneself: ask the registry and the agencies at the same time
    statuses = refresh_party(own, meanwhile=ask_registry_now) if own is not None else None
    party = acting_party()
    if statuses is None or party != own:
        statuses = refresh_party(party)
    audit.record_visit(party, follow_up=is_htmx_swap() or bool(request.args))
    cfg = config()
    reached = [p.slug for p in visible_producers(cfg, party)]
    chosen = filters_mod.parse_filters(request.args, reached, [s.slug for s in cfg.situations])
    page_no, page_ok = _page_number(request.args.get("sida"))
    seen = seen_log(party, statuses)
    with stage("sections"):
        view = caselist.overview_page(store(), cfg, party, chosen, reached, handle_key=handle_key(party),
                                      user_handle=current_user.handle, page=page_no, type_names=catalog.type_names(),
                                      locale=str(get_locale() or "sv"), seen=seen)
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
    return respond(body, status)


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
    statuses = refresh_party(party)
    cfg = config()
    stored = find_case(party, handle)
    if not stored:
        audit.record(party, "case", "not_found")
        abort(404)
    agencies = {p.slug: p.name for p in cfg.producers}
    found = build_cases([(s.producer, agencies[s.producer], s.event, s.first_stored_at) for s in stored],
                        handle_key=handle_key(party))[0]
    names = name([found])
    audit.record(party, "case", subject=_swedish_title(found, names))
    seen = seen_log(party, statuses)
    since = new_since(seen, found.handle, found.producer)
    new_ids = {e.kundhandelse_id for e in found.events if is_new(found, e, since)}
    store().mark_seen(current_user.handle, party.identity.digits, found.handle)
    # A long case (hundreds of events) shows its latest events first and the rest behind a link: a page a phone can
    # scroll, that is drawn in a moment. ?alla=1 shows every event.
    shown = len(found.events) if request.args.get("alla") == "1" else events_first_shown(found.events, new_ids)
    with stage("render"):
        body = render_template("pages/case.html", case=found, status=statuses.get(found.producer), new_ids=new_ids,
                               events=found.events[:shown], **page_context(party))
    return respond(body)
