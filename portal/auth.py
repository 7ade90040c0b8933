"""Log-in, log-out and sessions.

The session cookie holds only an opaque session nonce; the server keeps the
session (created, last seen, ended) so log-out really ends it and idle and
absolute lifetimes are enforced here, not trusted to the browser.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from portal.eid import InvalidIdentity, MockEid
from portal.extensions import login_manager
from portal.runtime import config, store
from portal.standard.identity import Identity, parse_person
from portal.store import now

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

TOUCH_EVERY = dt.timedelta(seconds=30)  # write "last seen" at most this often


class User(UserMixin):
    def __init__(self, handle: str, nonce: str, identity: Identity, name: str):
        self.handle = handle
        self.nonce = nonce
        self.identity = identity
        self.name = name

    def get_id(self) -> str:
        return self.nonce


@login_manager.user_loader
def load_user(nonce: str) -> User | None:
    s = store()
    row = s.session(nonce)
    if row is None:
        return None
    settings = config().settings
    moment = now()
    created, seen = dt.datetime.fromisoformat(row["created_at"]), dt.datetime.fromisoformat(row["last_seen"])
    if (moment - seen > dt.timedelta(minutes=settings.session_idle_min)
            or moment - created > dt.timedelta(hours=settings.session_absolute_h)):
        s.end_session(nonce)
        return None
    user = s.user(row["user_handle"])
    if user is None:
        return None
    if moment - seen > TOUCH_EVERY:
        s.touch_session(nonce)
    return User(user["handle"], nonce, parse_person(user["pnr"]), user["name"])


def provider() -> MockEid | None:
    """The mock e-ID, only in demo and test mode."""
    if not (config().settings.demo or current_app.testing):
        return None
    return current_app.extensions["eid"]


@bp.route("/login", methods=["GET"])
def login_form():
    eid = provider()
    if eid is None:
        return render_template("pages/login_unavailable.html"), 503
    return render_template("pages/login.html", identities=eid.identities, error=None, value="")


@bp.route("/login", methods=["POST"])
def login():
    eid = provider()
    if eid is None:
        return render_template("pages/login_unavailable.html"), 503
    typed = request.form.get("personnummer", "")
    demo = request.form.get("demo", "")
    if demo:
        # A demo button names an identity by its place in the list, so the page holds no identity numbers.
        # isdigit() is also true for "²" and "①", which int() refuses; a long run of digits is no index either.
        if not (demo.isascii() and demo.isdigit() and len(demo) <= 4) or int(demo) >= len(eid.identities):
            abort(400)
        typed = eid.identities[int(demo)].identity.digits
    try:
        person, name = eid.authenticate(typed)
    except InvalidIdentity as exc:
        message = {
            "format": _("Enter the personal identity number with 12 digits, for example 19900101-1234."),
            "date": _("The date in the personal identity number does not exist."),
            "checksum": _("The personal identity number is not valid: check the last digit."),
        }.get(exc.code, _("The personal identity number is not valid."))
        return render_template("pages/login.html", identities=eid.identities, error=message, value=""), 400
    s = store()
    handle = s.user_for(person.digits, name)
    old = session.get("_user_id")
    if old:
        s.end_session(old)
    lang = session.get("lang")
    session.clear()  # a new session at every log-in: nothing from before carries over
    if lang:
        session["lang"] = lang
    nonce = s.start_session(handle)
    session.permanent = True
    login_user(User(handle, nonce, person, name))
    log.info("login user=%s", handle)
    return redirect(url_for("cases.overview"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    store().end_session(current_user.nonce)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login_form"))
