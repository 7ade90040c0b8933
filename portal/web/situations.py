"""Situation pages: the configured ones with their steps, and the ones the customer defines.

Everything is scoped to the acting party: a customer-defined situation belongs to
a party, and its page lists only the cases this user may see for that party.
Someone acting on a mandate sees and changes only the situations they made
themselves: the party's own (perhaps private) situations need full access (the
party itself or its signatory). Every change is a CSRF-protected form post that
works without JavaScript, and is written to the audit log. A change asks no agency:
it is about the acting party's own situation, checked against the cache.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import audit
from portal.acting import acting_party
from portal.runtime import config, store
from portal.situations import CustomerCase, build_steps, clean_name, progress, situation_cases
from portal.web.pages import find_case, load_cases, page_context

bp = Blueprint("situations", __name__)


def _configured(slug: str):
    situation = next((s for s in config().situations if s.slug == slug), None)
    if situation is None:
        abort(404)
    return situation


def _index(party, cases, error: str | None = None, status: int = 200):
    configured = []
    for situation in config().situations:
        steps = build_steps(situation, cases) if situation.steps else []
        configured.append({"situation": situation, "cases": situation_cases(situation, cases),
                           "progress": progress(steps) if steps else None})
    by_handle = {c.handle: c for c in cases}
    own = [{**row, "visible": [by_handle[h] for h in row["cases"] if h in by_handle]}
           for row in store().own_situations(party.identity.digits, _maker(party))]
    page = render_template("pages/situations.html", configured=configured, own=own, error=error, **page_context(party))
    return page, status


@bp.route("/livssituationer")
@login_required
def index():
    party, cases, _seen, _statuses = load_cases()
    audit.record(party, "situations")
    return _index(party, cases)


@bp.route("/livssituationer/<slug>")
@login_required
def situation(slug: str):
    chosen = _configured(slug)
    # Only the cases under the situation's (and its steps') types are read: all this page shows.
    prefixes = tuple(chosen.case_types) + tuple(p for step in chosen.steps for p in step.case_types)
    party, cases, _seen, statuses = load_cases(prefixes)
    audit.record(party, "situation")
    steps = build_steps(chosen, cases)
    members = situation_cases(chosen, cases)
    return render_template("pages/situation.html", situation=chosen, steps=steps, progress=progress(steps),
                           whole=CustomerCase(members), statuses=list(statuses.values()), **page_context(party))


@bp.route("/egna", methods=["POST"])
@login_required
def create():
    party = acting_party()
    name = clean_name(request.form.get("name", ""))
    if name is None:
        _party, cases, _seen, _statuses = load_cases(fetch=False)
        return _index(party, cases, _("Give the situation a name of 1 to 80 characters."), 400)
    situation_id = store().create_own_situation(party.identity.digits, name, current_user.handle)
    audit.record(party, "situation_create")
    return redirect(url_for("situations.own", situation_id=situation_id))


def _maker(party) -> str | None:
    """None when the user may see all the party's situations, else the user whose own ones they may see."""
    return None if party.full_access else current_user.handle


def _own_or_404(party, situation_id: str) -> dict:
    row = store().own_situation(party.identity.digits, situation_id, _maker(party))
    if row is None:
        abort(404)
    return row


@bp.route("/egna/<situation_id>")
@login_required
def own(situation_id: str):
    party, cases, _seen, statuses = load_cases()
    row = _own_or_404(party, situation_id)
    audit.record(party, "situation")
    by_handle = {c.handle: c for c in cases}
    members = [by_handle[h] for h in row["cases"] if h in by_handle]
    addable = [c for c in cases if c.handle not in row["cases"]]
    return render_template("pages/own_situation.html", row=row, whole=CustomerCase(members), members=members,
                           addable=addable, error=None, statuses=list(statuses.values()), **page_context(party))


@bp.route("/egna/<situation_id>/namn", methods=["POST"])
@login_required
def rename(situation_id: str):
    party = acting_party()
    _own_or_404(party, situation_id)
    name = clean_name(request.form.get("name", ""))
    if name is None:
        flash(_("Give the situation a name of 1 to 80 characters."), "warning")
    else:
        store().rename_own_situation(party.identity.digits, situation_id, name)
        audit.record(party, "situation_rename")
        flash(_("The situation is renamed."), "info")
    return redirect(url_for("situations.own", situation_id=situation_id))


@bp.route("/egna/<situation_id>/ta-bort", methods=["POST"])
@login_required
def delete(situation_id: str):
    party = acting_party()
    _own_or_404(party, situation_id)
    store().delete_own_situation(party.identity.digits, situation_id)
    audit.record(party, "situation_delete")
    flash(_("The situation is deleted. The cases themselves are not affected."), "info")
    return redirect(url_for("situations.index"))


@bp.route("/egna/<situation_id>/arenden", methods=["POST"])
@login_required
def add_case(situation_id: str):
    party = acting_party()
    _own_or_404(party, situation_id)
    handle = request.form.get("case", "")
    if not find_case(party, handle):
        abort(400)  # only a case this user sees for this party can be added
    store().add_own_situation_case(situation_id, handle)
    audit.record(party, "situation_add_case")
    return redirect(url_for("situations.own", situation_id=situation_id))


@bp.route("/egna/<situation_id>/arenden/ta-bort", methods=["POST"])
@login_required
def remove_case(situation_id: str):
    party = acting_party()
    _own_or_404(party, situation_id)
    store().remove_own_situation_case(situation_id, request.form.get("case", ""))
    audit.record(party, "situation_remove_case")
    return redirect(url_for("situations.own", situation_id=situation_id))
