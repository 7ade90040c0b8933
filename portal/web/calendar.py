"""Deadlines out: an iCalendar feed of the acting party's open deadlines.

The feed lives at a per-user secret URL (the token is stored only as a hash)
that the user can replace or revoke. It holds no identity number: events are
named by the case and the agency. Each fetch re-checks that the user may still
act for the party, so a revoked mandate empties the feed within the same bound
as the pages.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, redirect, render_template, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from icalendar import Alarm, Calendar, Event

from portal.acting import acting_party, representation_for
from portal.caselist import deadline_cases
from portal.case import party_handle_key
from portal.runtime import config, correlation_id, runtime, store, store_factory
from portal.standard import clock
from portal.standard.ballholder import BallHolder
from portal.sync import refresh, visible_producers
from portal.web.pages import page_context

bp = Blueprint("calendar", __name__)


def _page(token: str | None = None):
    party = acting_party()
    has_link = store().has_calendar_link(current_user.handle, party.identity.digits)
    url = url_for("calendar.feed", token=token, _external=True) if token else None
    return render_template("pages/calendar.html", feed_url=url, has_link=has_link, **page_context(party))


@bp.route("/kalender")
@login_required
def settings():
    # A new address is shown once, on the page the creating POST redirects to (so a reload does not make another).
    return _page(session.pop("calendar_token_once", None))


@bp.route("/kalender", methods=["POST"])
@login_required
def create():
    party = acting_party()
    session["calendar_token_once"] = store().new_calendar_link(current_user.handle, party.identity.digits)
    return redirect(url_for("calendar.settings"), 303)


@bp.route("/kalender/aterkalla", methods=["POST"])
@login_required
def revoke():
    party = acting_party()
    store().revoke_calendar_links(current_user.handle, party.identity.digits)
    return redirect(url_for("calendar.settings"), 303)


@bp.route("/kalender/<token>.ics")
def feed(token: str):
    link = store().calendar_link(token) if len(token) < 100 else None
    if link is None:
        abort(404)
    user = store().user(link["user_handle"])
    party = representation_for(user).find(link["party"]) if user else None
    if party is None:
        abort(404)  # the user may no longer act for this party
    # Like a page view: agencies whose cached answer is stale are asked first, so new deadlines reach the feed.
    refresh(store(), config(), runtime().producers, party, user["pnr"], correlation_id(), store_factory=store_factory())
    # Only the cases waiting for the customer, read from the case rows: the feed costs the same at any history size.
    visible = [p.slug for p in visible_producers(config(), party)]
    cases = deadline_cases(store(), config(), party, visible,
                           handle_key=party_handle_key(current_app.secret_key, party.identity.digits))
    store().audit(link["user_handle"], party.identity.digits, party.basis, "calendar", "allowed", "")
    with force_locale("sv"):
        body = render_calendar(cases, party.name, url_for("cases.overview", _external=True))
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


REMINDERS = (dt.timedelta(days=7), dt.timedelta(days=1))


def render_calendar(cases, party_name: str, portal_url: str) -> bytes:
    """One all-day event per open deadline (ball with the customer)."""
    cal = Calendar()
    cal.add("prodid", "-//Mina arenden portal//sv")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Deadlines: %(name)s", name=party_name))
    stamp = clock.now()
    for case in cases:
        if case.ball_holder is not BallHolder.CUSTOMER or case.deadline is None:
            continue
        event = Event()
        event.add("uid", f"{case.handle}-{case.deadline.isoformat()}@mina-arenden")
        event.add("dtstamp", stamp)
        event.add("dtstart", case.deadline)
        event.add("dtend", case.deadline + dt.timedelta(days=1))
        event.add("summary", f"{case.latest.rubrik} ({case.producer_name})")
        event.add("description", _("Last day. The case: %(title)s. See %(url)s", title=case.title, url=portal_url))
        event.add("url", portal_url)  # a case link would need the same acting party; the overview always works
        for before in REMINDERS:  # a week and a day ahead: in time to act, not only on the day itself
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", -before)
            alarm.add("description", _("Last day soon: %(title)s", title=case.title))
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


