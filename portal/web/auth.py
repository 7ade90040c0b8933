"""Log-in, log-out and sessions.

Two ways in: the configured OpenID provider (``[oidc]``, ``portal.oidc``) and, in demo and test mode only, the
mock e-ID. The session cookie holds only an opaque session nonce; the server keeps the session (created, last
seen, ended, the provider's ID token) so log-out really ends it and idle and absolute lifetimes are enforced here,
not trusted to the browser.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from portal.eid import InvalidIdentity, MockEid
from portal.errors import database_down
from portal.extensions import limiter, login_manager
from portal.oidc import OidcError, RelyingParty
from portal.runtime import config, store
from portal.standard.clock import now
from portal.standard.identity import Identity, parse_person
from portal.timing import stage

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
    if database_down():  # drawing the 503 page: who is signed in cannot be read
        return None
    with stage("session"):
        return _load_user(nonce)


def _load_user(nonce: str) -> User | None:
    s = store()
    row = s.signed_in(nonce)
    if row is None:
        return None
    settings = config().settings
    moment = now()
    created, seen = dt.datetime.fromisoformat(row["created_at"]), dt.datetime.fromisoformat(row["last_seen"])
    if (moment - seen > dt.timedelta(minutes=settings.session_idle_min)
            or moment - created > dt.timedelta(hours=settings.session_absolute_h)):
        s.end_session(nonce)
        return None
    if moment - seen > TOUCH_EVERY:
        s.touch_session(nonce)
    return User(row["user_handle"], nonce, parse_person(row["pnr"]), row["name"])


def provider() -> MockEid | None:
    """The mock e-ID, only in demo and test mode (and not when [oidc] says not to offer it)."""
    if not (config().settings.demo or current_app.testing):
        return None
    if config().oidc is not None and not config().oidc.offer_mock_eid:
        return None
    return current_app.extensions["eid"]


def relying_party() -> RelyingParty | None:
    """The OpenID provider's client, when ``[oidc]`` is configured."""
    return current_app.extensions.get("oidc")


def _login_page(eid: MockEid | None, error: str | None = None, status: int = 200):
    if eid is None and relying_party() is None:
        return render_template("pages/login_unavailable.html"), 503
    return render_template("pages/login.html", identities=eid.identities if eid else None, mock=eid is not None,
                           oidc=relying_party() is not None, error=error, value=""), status


@bp.route("/login", methods=["GET"])
def login_form():
    return _login_page(provider())


def login_limit() -> str:
    """Log-in attempts per client address (``login_rate_limit``), counted in the database across instances."""
    return config().settings.login_rate_limit


@bp.route("/login", methods=["POST"])
@limiter.limit(login_limit, methods=["POST"])
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
            "format": _("Enter the personal identity number with 12 digits, for example 19900101-1239."),
            "date": _("The date in the personal identity number does not exist."),
            "checksum": _("The personal identity number is not valid: check the last digit."),
        }.get(exc.code, _("The personal identity number is not valid."))
        return _login_page(eid, message, 400)
    return _start_session(person, name)


def _start_session(person: Identity, name: str, id_token: str | None = None):
    """A new server-side session for ``person``: nothing from the session before carries over but the language."""
    s = store()
    handle = s.user_for(person.digits, name)
    old = session.get("_user_id")
    if old:
        s.end_session(old)
    lang = session.get("lang")
    session.clear()  # a new session at every log-in: nothing from before carries over
    if lang:
        session["lang"] = lang
    # The new session's CSRF secret now, so that the cookie set here already holds it: otherwise the first page
    # adds it and signs and sends the whole cookie again (and a client that keeps the log-in's cookie, as the
    # bench's load generator did, has that done on every page). A token made earlier in this request belongs to
    # the session just cleared.
    g.pop("csrf_token", None)
    generate_csrf()
    nonce = s.start_session(handle, id_token)
    session.permanent = True
    login_user(User(handle, nonce, person, name))
    log.info("login user=%s via=%s", handle, "oidc" if id_token else "mock")
    return redirect(url_for("cases.overview"))


# --- OpenID Connect ---------------------------------------------------------------------------------------------

# What a person is told when a log-in through the provider fails (OidcError.code -> status, title, message).
REFUSALS = {
    "provider": (503, lambda: _("The e-ID service is not answering"),
                 lambda: _("We could not reach the e-ID service. You are not logged in. Try again in a while.")),
    "state": (400, lambda: _("The log-in could not be completed"),
              lambda: _("The log-in was started in another window, or too long ago. You are not logged in. "
                        "Start again.")),
    "denied": (400, lambda: _("The log-in was cancelled"),
               lambda: _("The e-ID service did not log you in. You are not logged in. Start again if you want to.")),
    "refused": (400, lambda: _("The log-in could not be completed"),
                lambda: _("The e-ID service did not accept this log-in (it may have been used already). "
                          "You are not logged in. Start again.")),
    "invalid": (502, lambda: _("The log-in could not be verified"),
                lambda: _("The answer from the e-ID service could not be verified. You are not logged in. "
                          "Start again; if it happens again, contact us.")),
    "acr": (403, lambda: _("Your e-ID is not secure enough"),
            lambda: _("This service needs an e-ID with a higher level of assurance than the one you used, such as "
                      "BankID or Freja+. You are not logged in.")),
    "identity": (403, lambda: _("Your personal identity number is missing"),
                 lambda: _("The e-ID service did not tell us your personal identity number or coordination number, "
                           "so we cannot show your cases. You are not logged in.")),
}


def _refused(exc: OidcError):
    status, title, message = REFUSALS.get(exc.code, REFUSALS["invalid"])
    # The reason names no claim value: safe to log. The code tells the operator which kind of failure it was.
    log.warning("oidc login refused code=%s reason=%s", exc.code, exc)
    return render_template("pages/login_refused.html", title=title(), message=message()), status


@bp.route("/login/oidc", methods=["GET"])
@limiter.limit(login_limit)  # each of these calls the OpenID provider: the same limit per client address
def oidc_start():
    rp = relying_party()
    if rp is None:
        abort(404)
    try:
        url, pending = rp.start(str(get_locale() or "sv"))
    except OidcError as exc:
        return _refused(exc)
    session["oidc"] = pending  # state, nonce and PKCE verifier: in the signed cookie until the callback
    return redirect(url)


@bp.route("/login/callback", methods=["GET"])
@limiter.limit(login_limit)
def oidc_callback():
    rp = relying_party()
    if rp is None:
        abort(404)
    pending = session.pop("oidc", None)  # one use: a replayed callback finds nothing to match
    args = {k: request.args.get(k) for k in ("state", "code", "error", "iss")}
    try:
        done = rp.finish(pending, args)
    except OidcError as exc:
        return _refused(exc)
    return _start_session(done.identity, done.name, done.id_token)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    s = store()
    row = s.session(current_user.nonce) or {}
    s.end_session(current_user.nonce)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "info")  # shown on the log-in page, also after the provider's log-out
    rp = relying_party()
    at_provider = rp.logout_url(row.get("id_token")) if rp is not None and row.get("id_token") else None
    return redirect(at_provider or url_for("auth.login_form"))
