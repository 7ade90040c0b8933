"""The "Aviseringar" settings page: an address confirmed by a link, when to be told, about whom; and the stop link.

Nothing is sent to an address until its confirmation link is used by the same
user, logged in. The stop link in every message works without logging in (RFC 8058
one-click: a POST without a CSRF token, authorised by the signed token it carries).
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import errors, notice_tokens
from portal.acting import handle_for, representation
from portal.extensions import csrf
from portal.notifier import deliver, external, transport, worker_id
from portal.representation import find_by_handle
from portal.runtime import config, store
from portal.store.notices import DAILY, IMMEDIATE

bp = Blueprint("notifications", __name__)
log = logging.getLogger(__name__)

# Deliberately plain: one @, a dot in the domain, no spaces or control characters; the relay has the last word.
_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f<>\"',;]+@[^@\s\x00-\x1f\x7f<>\"',;]+\.[^@\s\x00-\x1f\x7f<>\"',;.]+$")


def valid_address(text: str) -> bool:
    return len(text) <= 254 and bool(_ADDRESS.match(text))


def _language() -> str:
    return str(get_locale() or "sv")


@bp.route("/aviseringar")
@login_required
def settings():
    sub = store().subscription(current_user.handle)
    chosen = set(sub["parties"]) if sub else set()
    parties = [{"handle": handle_for(p), "name": p.name, "own": p.basis == "own", "checked": p.identity.digits in chosen}
               for p in representation().parties]
    states = store().message_states(current_user.handle) if sub else {}
    return render_template("pages/notifications.html", sub=sub, parties=parties, failed=states.get("failed", 0),
                           waiting=states.get("pending", 0), last_sent=store().last_sent_at(current_user.handle))


@bp.route("/aviseringar/adress", methods=["POST"])
@login_required
def set_address():
    address = request.form.get("address", "").strip()
    if not valid_address(address):
        flash(_("That does not look like an e-mail address. Check it and try again."), "warning")
        return redirect(url_for("notifications.settings"), 303)
    s, cfg = store(), config()
    s.set_notice_address(current_user.handle, address, _language(), parties=[current_user.identity.digits])
    token = notice_tokens.confirm_token(current_app.secret_key, current_user.handle, address)
    key = s.queue_confirmation(current_user.handle, address, _language(),
                               external("notifications.confirm", token=token))
    # Sent now if the relay answers; if not, the notifier tries again (the message waits in the outbox).
    outcome = deliver(s, cfg, transport(), key, worker_id())
    if outcome == "sent":
        flash(_("We have sent a link to the address. Open it to confirm: until then nothing else is sent there."),
              "info")
    elif outcome == "refused":
        flash(_("The mail server refused the address. Check it and try again."), "warning")
    else:
        flash(_("The confirmation message could not be sent yet. We will keep trying."), "warning")
    return redirect(url_for("notifications.settings"), 303)


@bp.route("/aviseringar", methods=["POST"])
@login_required
def save():
    s = store()
    if s.subscription(current_user.handle) is None:
        flash(_("Add an e-mail address first."), "warning")
        return redirect(url_for("notifications.settings"), 303)
    mode = request.form.get("mode", IMMEDIATE)
    if mode not in (IMMEDIATE, DAILY):
        abort(400)
    rep = representation()
    parties = []
    for handle in request.form.getlist("party"):
        party = find_by_handle(rep, handle, current_app.secret_key, current_user.nonce)
        if party is None:
            abort(403)
        parties.append(party.identity.digits)
    s.save_notice_choices(current_user.handle, mode, parties, _language())
    flash(_("Your choices are saved."), "info")
    return redirect(url_for("notifications.settings"), 303)


@bp.route("/aviseringar/stoppa", methods=["POST"])
@login_required
def stop_all():
    store().stop_notices(current_user.handle)
    flash(_("All notices are stopped. You can turn them on again here."), "info")
    return redirect(url_for("notifications.settings"), 303)


@bp.route("/aviseringar/bekrafta/<token>")
@login_required
def confirm(token: str):
    read = notice_tokens.read_confirm_token(current_app.secret_key, token,
                                            config().notify.confirm_max_age_h * 3600) if len(token) < 400 else None
    sub = store().subscription(current_user.handle)
    if read is None or read[0] != current_user.handle or sub is None or \
            notice_tokens.address_digest(sub["address"]) != read[1]:
        return errors.page(400, _("The link does not work"),
                           _("It may have expired, or be for another address or another person. Add the address again "
                             "to get a new link."))
    store().confirm_notice_address(current_user.handle, sub["address"])
    flash(_("Your e-mail address is confirmed. Choose what you want to be told about."), "info")
    return redirect(url_for("notifications.settings"), 303)


@bp.route("/aviseringar/stopp/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail provider POSTs without our form; the signed token is the authority
def stop(token: str):
    read = notice_tokens.read_stop_token(current_app.secret_key, token) if len(token) < 400 else None
    sub = store().subscription(read[0]) if read else None
    if sub is None or notice_tokens.address_digest(sub["address"]) != read[1]:
        abort(404)
    if request.method == "POST":
        store().stop_notices(sub["user_handle"], sub["address"])
        log.info("notices stopped by link")
        return render_template("pages/notifications_stop.html", stopped=True, token=token)
    # A GET only shows the button: link checkers that open every link must not stop anything.
    return render_template("pages/notifications_stop.html", stopped=not sub["active"], token=token)
