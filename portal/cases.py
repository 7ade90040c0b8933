"""The overview and the case page for the acting party."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from portal.acting import acting_party, handle_for, representation
from portal.overview import build_cases, build_overview, find_case
from portal.runtime import config, correlation_id, runtime, store
from portal.sync import refresh, visible_events

bp = Blueprint("cases", __name__)


def _load():
    """Refresh where stale, then the acting party's cases and each producer's status."""
    party = acting_party()
    cfg = config()
    statuses = refresh(store(), cfg, runtime().producers, party, current_user.identity.digits, correlation_id(),
                       language=str(get_locale() or "sv"))
    names = {p.slug: p.name for p in cfg.producers}
    events = [(s.producer, names[s.producer], s.event) for s in visible_events(store(), cfg, party)]
    return party, build_cases(events), statuses


def _page_context(party):
    rep = representation()
    return {
        "party": party,
        "parties": [(handle_for(p), p) for p in rep.parties],
        "current_handle": handle_for(party),
        "registry_problem": bool(rep.problems),
    }


@bp.route("/")
@login_required
def overview():
    party, cases, statuses = _load()
    view = build_overview(cases, config().situations)
    return render_template("pages/overview.html", overview=view, statuses=list(statuses.values()),
                           case_count=len(cases), **_page_context(party))


@bp.route("/arende/<handle>")
@login_required
def case(handle: str):
    party, cases, statuses = _load()
    found = find_case(cases, handle)
    if found is None:
        abort(404)
    return render_template("pages/case.html", case=found, status=statuses.get(found.producer),
                           **_page_context(party))
