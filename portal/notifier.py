"""The notifier: one pass of it (``run_pass``); ``flask --app portal notify [--loop]`` (``portal.web.notifier``) runs it.

A pass (1) refreshes each subscribed party from the agencies through ``sync.refresh``
(so the bulkhead, deadlines and failure handling of the pages apply), at most once
per party and agency per ``refresh_interval_s`` and for at most
``max_refreshes_per_pass`` parties; (2) records what deserves a notice under its
idempotency key; (3) puts each user's waiting triggers into one message (at once,
or in the day's summary); (4) sends what is due from the outbox. Each step is safe
to repeat and to run in two processes at once (``store/notices.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import uuid
from dataclasses import dataclass, replace

from flask import current_app, url_for

from portal import notice_mail, notice_tokens
from portal.acting import representation_for
from portal.config import Config
from portal.mailer import MailDelayed, MailRefused, SmtpTransport
from portal.notice_triggers import Trigger, backoff_s, deadline_triggers, event_triggers
from portal.representation import OWN, Party, Representation
from portal.runtime import config, runtime, store
from portal.standard import clock
from portal.standard.tidpunkt import STOCKHOLM
from portal.store import Store
from portal.store.notices import CONFIRMED, DAILY
from portal.sync import refresh, visible_producers

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    """What one pass did (logged, and read by tests and the benchmark)."""

    parties: int = 0
    refreshed: int = 0
    triggers: int = 0
    messages: int = 0
    sent: int = 0
    delayed: int = 0
    refused: int = 0
    failed: int = 0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def transport():
    """The mail transport: a test may put its own in ``app.extensions["portal_mail"]``."""
    return current_app.extensions.get("portal_mail") or SmtpTransport(config().smtp)


def external(endpoint: str, **values) -> str:
    """An absolute link as users reach the portal (``[notify] base_url``), from a request or the notifier."""
    return config().notify.base_url.rstrip("/") + url_for(endpoint, **values)


def run_pass(mail=None, worker: str | None = None) -> PassReport:
    """One pass: refresh, find triggers, compose, send. Needs a request context (``notify`` makes one)."""
    cfg, s = config(), store()
    mail = mail or transport()
    worker = worker or worker_id()
    report = PassReport()
    budget = cfg.notify.max_refreshes_per_pass
    fetch_cfg = _refresh_config(cfg)
    today = clock.today()
    for sub in s.notice_subscribers():
        try:
            budget = _subscriber(s, cfg, fetch_cfg, sub, today, budget, report)
        except Exception as exc:  # one subscriber's trouble must not stop the others' notices; retried next pass
            # The kind of error only: its text or traceback could hold an identity number.
            log.error("notify: subscriber skipped this pass user=%s error=%s", sub["user_handle"],
                      type(exc).__name__)
    deliver_due(s, cfg, mail, worker, report)
    log.info("notify pass parties=%d refreshed=%d triggers=%d messages=%d sent=%d delayed=%d refused=%d failed=%d",
             report.parties, report.refreshed, report.triggers, report.messages, report.sent, report.delayed,
             report.refused, report.failed)
    return report


def _subscriber(s: Store, cfg: Config, fetch_cfg: Config, sub: dict, today: dt.date, budget: int,
                report: PassReport) -> int:
    """Refresh (within the budget), record triggers and compose for one subscriber; returns the budget left."""
    user = s.user(sub["user_handle"])
    if user is None:
        return budget
    representation = _representation(s, cfg, user)
    chosen = []
    for digits in sub["parties"]:
        party = representation.find(digits)
        if party is None:
            continue  # the user may no longer act for it: nothing about it is sent
        chosen.append(digits)
        report.parties += 1
        if budget > 0:
            statuses = refresh(s, fetch_cfg, runtime().producers, party, user["pnr"], str(uuid.uuid4()),
                               language=sub["language"] or "sv")
            if any(st.asked for st in statuses.values()):
                budget -= 1
                report.refreshed += 1
        report.triggers += record_triggers(s, cfg, sub["user_handle"], party, today)
    if chosen and _compose(s, cfg, sub, chosen):
        report.messages += 1
    return budget


def _representation(s: Store, cfg: Config, user: dict) -> Representation:
    """Whom the user may act for; the registry's answer is trusted up to ``refresh_interval_s`` here.

    The registry is then asked at most as often as each agency (a pass a minute would otherwise ask it every
    pass), and a revoked mandate stops notices about that party within the same bound.
    """
    trusted = max(cfg.settings.representation_ttl_s, cfg.notify.refresh_interval_s)
    cached = s.cached_representation(user["handle"])
    if cached and clock.now() - cached[0] < dt.timedelta(seconds=trusted):
        return Representation(tuple(Party.from_json(p) for p in cached[1]["parties"]), tuple(cached[1]["problems"]))
    return representation_for(user)


def _refresh_config(cfg: Config) -> Config:
    """The pages' rules, but a party's agencies are asked at most once per ``refresh_interval_s``."""
    interval = cfg.notify.refresh_interval_s
    settings = replace(cfg.settings, fresh_s=max(cfg.settings.fresh_s, interval),
                       retry_failed_s=max(cfg.settings.retry_failed_s, interval))
    return replace(cfg, settings=settings)


def record_triggers(s: Store, cfg: Config, user_handle: str, party: Party, today: dt.date) -> int:
    """Store what deserves a notice for this user and party; returns how many triggers were new.

    The first time an agency has answered for this party, its events so far are history
    (recorded as baseline, never sent): notices are about what happens from now on.
    """
    digits = party.identity.digits
    name = "" if party.basis == OWN else party.name
    baselined = s.baselined_producers(user_handle, digits)
    new = 0
    for producer in visible_producers(cfg, party):
        slug = producer.slug
        events = [(slug, eid, ball) for eid, typ, ball in s.notice_event_rows(digits, slug)
                  if party.may_see(producer.orgnr, typ)]
        keyed = _keyed(event_triggers(events), user_handle, digits)
        if slug not in baselined:
            if s.sync_state(digits, slug, party.scope(producer.orgnr)).last_success_at is None:
                continue  # never heard from this agency for the party: nothing to compare with yet
            s.record_triggers(user_handle, digits, name, keyed, baseline_producer=slug)
        else:
            new += s.record_triggers(user_handle, digits, name, keyed)
        cases = [(slug, key, ball, dt.date.fromisoformat(deadline))
                 for key, typ, ball, deadline in s.notice_deadline_rows(digits, slug)
                 if party.may_see(producer.orgnr, typ)]
        new += s.record_triggers(user_handle, digits, name, _keyed(deadline_triggers(cases, today), user_handle,
                                                                   digits))
    return new


def _keyed(triggers: list[Trigger], user_handle: str, party: str) -> list[tuple[str, str]]:
    return [(t.key(user_handle, party), t.kind) for t in triggers]


def _compose(s: Store, cfg: Config, sub: dict, parties: list[str]) -> str | None:
    """Waiting triggers into a message now, or (daily) into the day's summary from ``summary_hour``."""
    summary_key = None
    if sub["mode"] == DAILY:
        local = clock.now().astimezone(STOCKHOLM)
        if local.hour < cfg.notify.summary_hour:
            return None
        summary_key = f"summary-{sub['user_handle']}-{local.date().isoformat()}"
    return s.compose_message(sub["user_handle"], sub["address"], sub["language"] or "sv", summary_key=summary_key,
                             parties=parties)


def deliver_due(s: Store, cfg: Config, mail, worker: str, report: PassReport | None = None) -> PassReport:
    """Send every message that is due (or whose claimant died), each claimed first."""
    report = report or PassReport()
    for key in s.due_messages(clock.now(), cfg.notify.claim_lease_s):
        deliver(s, cfg, mail, key, worker, report)
    return report


def deliver(s: Store, cfg: Config, mail, key: str, worker: str, report: PassReport | None = None) -> str | None:
    """Claim one message and send it; returns how it ended (None: another notifier has it)."""
    report = report or PassReport()
    message = s.claim_message(key, worker, clock.now(), cfg.notify.claim_lease_s)
    if message is None:
        return None
    sub = s.subscription(message["user_handle"])
    current = sub is not None and sub["address"] == message["address"]
    if message["kind"] == "confirm":
        usable = current and sub["address_state"] != CONFIRMED
    else:
        usable = current and sub["active"] and sub["address_state"] == CONFIRMED
    if not usable:  # stopped, or the address changed or was refused meanwhile: never sent
        s.finish_message(key, worker, "dropped")
        return "dropped"
    email = _email(cfg, message, s.message_triggers(key))
    try:
        mail.send(email)
    except MailRefused as exc:
        s.finish_message(key, worker, "refused", error=str(exc))
        s.mark_address_refused(message["user_handle"], message["address"])
        s.audit(message["user_handle"], None, None, "notice", f"refused {message['kind']}", key)
        log.warning("notice refused by the relay message=%s reason=%s", key, exc)
        report.refused += 1
        return "refused"
    except MailDelayed as exc:
        if message["attempts"] >= cfg.notify.max_attempts:
            s.finish_message(key, worker, "failed", error=str(exc))
            log.error("notice not delivered after %d attempts message=%s reason=%s", message["attempts"], key, exc)
            report.failed += 1
            return "failed"
        retry = clock.now() + dt.timedelta(seconds=backoff_s(message["attempts"], cfg.notify.retry_base_s))
        s.finish_message(key, worker, "pending", error=str(exc), retry_at=retry)
        log.warning("notice delayed message=%s attempt=%d reason=%s", key, message["attempts"], exc)
        report.delayed += 1
        return "pending"
    s.finish_message(key, worker, "sent")
    kinds = sorted({kind for _, _, kind in s.message_triggers(key)})
    # Who got which kind of notice, never what it said.
    s.audit(message["user_handle"], None, None, "notice", f"sent {message['kind']}: {','.join(kinds)}".rstrip(": "),
            key)
    report.sent += 1
    return "sent"


def _email(cfg: Config, message: dict, triggers):
    secret = current_app.secret_key
    stop_url = external("notifications.stop", token=notice_tokens.stop_token(secret, message["user_handle"],
                                                                              message["address"]))
    common = dict(key=message["key"], sender=cfg.smtp.sender, address=message["address"],
                  language=message["language"] or "sv", stop_url=stop_url)
    if message["kind"] == "confirm":
        return notice_mail.confirmation(confirm_url=message["link"], **common)
    return notice_mail.notice(triggers=triggers, login_url=external("auth.login_form"),
                              summary=message["kind"] == "summary", **common)
