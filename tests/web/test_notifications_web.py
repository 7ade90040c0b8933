"""E-mail notices end to end: a real mock world, a real SMTP server on loopback, the notifier run as in production.

Intended behaviour (portal/notifier.py, portal/store/notices.py): each trigger is sent once per recipient, case and
event, whatever crashes, retries or second notifiers happen; nothing is sent to an unconfirmed, stopped or refused
address; a message names no case, no agency text and no identity number.
"""

from __future__ import annotations

import os
import threading

import pytest

from notifytools import (ADDRESS, notice_app, notices_to, notifier_pass, path_of, put_event, settings_form, subscribe,
                         your_turn_event)
from portal.mailer import SmtpTransport
from portal.runtime import store
from smtpsink import html_of, links_in, text_of
from webtools import KARIN, identity_numbers_in, page, text_of as page_text


class Crash(BaseException):
    """The notifier process dying (not an error it could handle)."""


class CrashBeforeSending:
    """A transport whose process dies after the message was claimed, before a byte reached the relay."""

    def send(self, message):
        raise Crash()


def _audit_notices(app):
    with app.test_request_context():
        return [r for r in store().audit_rows() if r["action"] == "notice"]


def test_a_new_turn_is_mailed_exactly_once_through_a_crash(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink, claim_lease_s=0.0)
    client = app.test_client()
    subscribe(client, smtp_sink)
    first = notifier_pass(app)  # notices start now: the cases Karin already has are history
    assert first.sent == 0 and notices_to(smtp_sink) == []

    put_event(private_world, your_turn_event("skv-notice-1", "131 777777-26/1"))
    with pytest.raises(Crash):
        notifier_pass(app, CrashBeforeSending())
    assert notices_to(smtp_sink) == []
    notifier_pass(app)  # a restart: the claim of the dead notifier has lapsed, the message goes out
    notifier_pass(app)  # and once is once
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 0, result.output

    [message] = notices_to(smtp_sink)
    assert message["Subject"] == "Något i Mina ärenden behöver din uppmärksamhet"
    body, html = text_of(message), html_of(message)
    assert "För dig: en myndighet väntar på något från dig" in body
    for text in (body, html, str(message)):
        assert identity_numbers_in(text) == []
        assert "Hemlig" not in text and "131 777777" not in text and "Skatteverket" not in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop = message["List-Unsubscribe"].strip("<>")
    assert stop in links_in(message) and stop.startswith("http://portal.example/aviseringar/stopp/")
    assert "http://portal.example/login" in links_in(message)
    audit = _audit_notices(app)
    assert [r["outcome"] for r in audit] == ["sent confirm", "sent notice: turn"]
    assert all(r["party"] is None for r in audit)  # "Who has looked" lists looks, not notices


def test_smtp_failing_once_is_retried_and_sends_once(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    client = app.test_client()
    subscribe(client, smtp_sink)
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-2", "131 777777-26/2"))
    smtp_sink.defer = 1
    assert notifier_pass(app).delayed == 1
    assert notices_to(smtp_sink) == []
    assert notifier_pass(app).sent == 1
    notifier_pass(app)
    assert len(notices_to(smtp_sink)) == 1


def test_smtp_down_keeps_the_message_until_it_is_back(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    subscribe(app.test_client(), smtp_sink)
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-3", "131 777777-26/3"))
    smtp_sink.stop()
    assert notifier_pass(app).delayed == 1
    assert notifier_pass(app).delayed == 1
    smtp_sink.start()
    assert notifier_pass(app).sent == 1
    assert len(notices_to(smtp_sink)) == 1


def test_two_notifiers_at_once_send_one_message(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    subscribe(app.test_client(), smtp_sink)
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-4", "131 777777-26/4"))
    claimed, release = threading.Event(), threading.Event()
    real = SmtpTransport(app.extensions["portal"].config.smtp)

    class Holding:
        """Holds the claimed message until the other notifier has run a whole pass."""

        def send(self, message):
            claimed.set()
            assert release.wait(30)
            real.send(message)

    first = threading.Thread(target=notifier_pass, args=(app, Holding(), "first"))
    first.start()
    assert claimed.wait(30)
    second = notifier_pass(app, worker="second")
    release.set()
    first.join(30)
    assert second.sent == 0
    assert len(notices_to(smtp_sink)) == 1


def test_a_refused_address_is_marked_and_shown(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    client = app.test_client()
    subscribe(client, smtp_sink)
    notifier_pass(app)
    smtp_sink.refuse.add(ADDRESS)
    put_event(private_world, your_turn_event("skv-notice-5", "131 777777-26/5"))
    assert notifier_pass(app).refused == 1
    soup, _ = settings_form(client)
    assert "Servern för e-post tog inte emot adressen" in page_text(soup.select_one("#address-refused"))
    put_event(private_world, your_turn_event("skv-notice-6", "131 777777-26/6"))
    smtp_sink.refuse.clear()
    assert notifier_pass(app).sent == 0  # nothing more goes to a refused address until it is given again
    assert notices_to(smtp_sink) == []


def test_nothing_is_sent_to_an_unconfirmed_address(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    client = app.test_client()
    from webtools import login
    login(client, KARIN)
    _, token = settings_form(client)
    client.post("/aviseringar/adress", data={"address": ADDRESS, "csrf_token": token})
    soup, token = settings_form(client)
    own = soup.select_one('input[name="party"]')["value"]
    client.post("/aviseringar", data={"mode": "immediate", "party": [own], "csrf_token": token})
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-7", "131 777777-26/7"))
    notifier_pass(app)
    assert len(smtp_sink.to(ADDRESS)) == 1  # only the confirmation
    assert notices_to(smtp_sink) == []


def test_a_confirmation_link_works_only_for_its_own_user(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    karin = app.test_client()
    from webtools import SARA, login
    login(karin, KARIN)
    _, token = settings_form(karin)
    karin.post("/aviseringar/adress", data={"address": ADDRESS, "csrf_token": token})
    link = next(u for u in links_in(smtp_sink.to(ADDRESS)[-1]) if "/bekrafta/" in u)
    sara = app.test_client()
    login(sara, SARA)
    assert sara.get(path_of(link)).status_code == 400
    assert karin.get(path_of(link) + "x").status_code == 400
    assert "(inte bekräftad än)" in page_text(page(karin.get("/aviseringar")))


def test_one_click_stop_without_logging_in(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    subscribe(app.test_client(), smtp_sink)
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-8", "131 777777-26/8"))
    notifier_pass(app)
    [message] = notices_to(smtp_sink)
    stop = path_of(message["List-Unsubscribe"].strip("<>"))
    stranger = app.test_client()  # a mail provider's one-click POST: no session, no CSRF token
    assert stranger.get(stop).status_code == 200  # a GET (a link checker) only shows the button
    r = stranger.post(stop, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and page(r).select_one("#stopped") is not None
    assert stranger.post(stop[:-2] + "xx", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    put_event(private_world, your_turn_event("skv-notice-9", "131 777777-26/9"))
    notifier_pass(app)
    assert len(notices_to(smtp_sink)) == 1


def test_daily_summary_gathers_the_days_triggers_once(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    config = app.extensions["portal"].config
    import dataclasses
    later = dataclasses.replace(config.notify, summary_hour=24)  # "not yet this morning": nothing may go out
    app.extensions["portal"].config = dataclasses.replace(config, notify=later)
    subscribe(app.test_client(), smtp_sink, mode="daily")
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-10", "131 777777-26/10"))
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-11", "131 777777-26/11", closed=True))
    notifier_pass(app)
    assert notices_to(smtp_sink) == []
    app.extensions["portal"].config = dataclasses.replace(config, notify=dataclasses.replace(later, summary_hour=0))
    notifier_pass(app)
    [summary] = notices_to(smtp_sink)
    body = text_of(summary)
    assert "sammanfattning" in body
    assert "en myndighet väntar på något från dig" in body and "en myndighet har avslutat ett ärende" in body
    put_event(private_world, your_turn_event("skv-notice-12", "131 777777-26/12"))
    notifier_pass(app)
    assert len(notices_to(smtp_sink)) == 1  # the next one waits for tomorrow's summary


def test_a_company_is_named_and_english_is_english(tmp_path, private_world, smtp_sink):
    """Karin signs for Bohusläns Ostron AB: a notice for it names the company, in the language she uses."""
    app = notice_app(tmp_path, private_world, smtp_sink)
    client = app.test_client()
    client.get("/sprak/en?next=/")
    subscribe(client, smtp_sink, parties=("Bohusläns Ostron AB",))
    notifier_pass(app)
    orgnr = "16" + _ostron_orgnr()
    put_event(private_world, your_turn_event("skv-notice-13", "131 777777-26/13", kund=orgnr) |
              {"part": {"kund": {"identifierare": orgnr, "typ": "Organisationsnummer"},
                        "arende": {"identifierare": "131 777777-26/13", "typ": "Diarienummer"}}})
    notifier_pass(app)
    [message] = notices_to(smtp_sink)
    assert message["Subject"] == "Something in My cases needs your attention"
    assert "For Bohusläns Ostron AB: an agency is waiting for something from you" in text_of(message)
    assert identity_numbers_in(str(message)) == []


def _ostron_orgnr() -> str:
    import json
    from webtools import DATA
    registry = json.loads((DATA / "minaombud.json").read_text(encoding="utf-8"))
    return next(s["orgnr"] for s in registry["firmatecknare"] if s["pnr"] == KARIN and "Ostron" in s.get("namn", ""))


def test_settings_forms_need_the_csrf_token_and_work_without_javascript(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    client = app.test_client()
    subscribe(client, smtp_sink)
    soup, token = settings_form(client)
    from webtools import assert_page_structure
    assert_page_structure(soup)
    forms = soup.select("main form")
    assert {f["action"] for f in forms} == {"/aviseringar/adress", "/aviseringar", "/aviseringar/stoppa"}
    assert all(f["method"] == "post" and f.select_one('input[name="csrf_token"]') for f in forms)
    assert all(f.select_one('button[type="submit"]') for f in forms)  # plain forms: no script needed
    for path, data in (("/aviseringar/adress", {"address": "annan@example.se"}), ("/aviseringar", {"mode": "daily"}),
                       ("/aviseringar/stoppa", {})):
        assert client.post(path, data=data).status_code == 400, path
    sub = _subscription(app)
    assert (sub["address"], sub["mode"], sub["active"]) == (ADDRESS, "immediate", True)
    assert client.post("/aviseringar/stoppa", data={"csrf_token": token}).status_code == 303
    assert page(client.get("/aviseringar")).select_one("#notices-stopped") is not None


def test_an_address_that_is_not_one_is_refused_with_a_message(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    client = app.test_client()
    from webtools import login, notices as page_notices
    login(client, KARIN)
    for bad in ("karin", "karin@exempel", "a b@example.se", "karin@example.se\r\nBcc: x@evil.example", "x" * 250 +
                "@example.se"):
        _, token = settings_form(client)
        r = client.post("/aviseringar/adress", data={"address": bad, "csrf_token": token}, follow_redirects=True)
        assert "Det ser inte ut som en e-postadress" in " ".join(page_notices(page(r))), bad
    assert smtp_sink.received == []


def _subscription(app):
    with app.test_request_context():
        from portal.runtime import store as current_store
        return current_store().subscription(current_store().user_for(KARIN, "Karin Ström"))


def test_loop_runs_passes_until_it_is_told_to_stop(tmp_path, private_world):
    """`flask --app portal notify --loop` as a service: a pass, then a clean stop on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys

    from testconfig import portal_doc, write_toml
    from testdb import test_database
    database = test_database(tmp_path)
    config = write_toml(portal_doc(private_world.url, database), tmp_path / "portal.toml")
    env = {**os.environ, "PORTAL_CONFIG": str(config), "PORTAL_DEMO": "1", "PORTAL_DATABASE": database}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "notify", "--loop"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("parties=0 "), first
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_no_notice_about_a_company_the_user_no_longer_signs_for(tmp_path, private_world, smtp_sink):
    import json

    from webtools import DATA
    app = notice_app(tmp_path, private_world, smtp_sink, settings={"representation_ttl_s": 0})
    subscribe(app.test_client(), smtp_sink, parties=("Dig själv", "Bohusläns Ostron AB"))
    notifier_pass(app)
    registry = json.loads((DATA / "minaombud.json").read_text(encoding="utf-8"))
    registry["firmatecknare"] = [s for s in registry["firmatecknare"] if s["pnr"] != KARIN]
    assert private_world.admin("PUT", "/registry", registry).status_code == 200
    orgnr = "16" + _ostron_orgnr()
    put_event(private_world, your_turn_event("skv-notice-20", "131 777777-26/20", kund=orgnr) |
              {"part": {"kund": {"identifierare": orgnr, "typ": "Organisationsnummer"},
                        "arende": {"identifierare": "131 777777-26/20", "typ": "Diarienummer"}}})
    put_event(private_world, your_turn_event("skv-notice-21", "131 777777-26/21"))
    notifier_pass(app)
    [message] = notices_to(smtp_sink)
    assert "För dig:" in text_of(message) and "Ostron" not in text_of(message)


def test_a_last_day_is_told_a_week_before_and_a_day_before_once_each(tmp_path, private_world, smtp_sink,
                                                                       monkeypatch):
    """The deadline counts days from the portal's today (``MINA_CLOCK_SHIFT_DAYS`` moves it, as in production)."""
    from portal.standard.clock import SHIFT_ENV
    app = notice_app(tmp_path, private_world, smtp_sink)
    # The request for information arrives before notices start (history), with its last day 7 days ahead.
    put_event(private_world, your_turn_event("skv-notice-30", "131 777777-26/30", deadline_days=7))
    subscribe(app.test_client(), smtp_sink)
    notifier_pass(app)
    [week] = notices_to(smtp_sink)
    assert "För dig: en sista dag är högst en vecka bort." in text_of(week)
    notifier_pass(app)
    # Six days later (on top of any shift the whole run has): the last day is tomorrow.
    monkeypatch.setenv(SHIFT_ENV, str(int(os.environ.get(SHIFT_ENV) or 0) + 6))
    notifier_pass(app)
    notifier_pass(app)
    week_again, day = notices_to(smtp_sink)
    assert week_again is week
    assert "För dig: en sista dag är i dag eller i morgon." in text_of(day)


def test_the_transport_uses_starttls_and_auth(tmp_path):
    """Against a relay that requires STARTTLS and AUTH (its certificate from the configured CA file)."""
    from email.message import EmailMessage

    from portal.config import SmtpConfig
    from portal.mailer import MailDelayed
    from smtpsink import SmtpSink, self_signed_context
    context, cert = self_signed_context(tmp_path)
    sink = SmtpSink(tls_context=context, credentials=("portal", "relay-password-from-env"))
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "noreply@portal.example", ADDRESS, "Test"
        message.set_content("Hej")
        config = SmtpConfig(host="127.0.0.1", port=sink.port, starttls=True, username="portal",
                            password="relay-password-from-env", ca_file=cert, timeout_s=10.0)
        SmtpTransport(config).send(message)
        assert sink.logins == ["portal"] and len(sink.to(ADDRESS)) == 1
        with pytest.raises(MailDelayed):  # a wrong password: retried (and logged), never lost, never sent
            # (aiosmtpd leaves a client with a refused login waiting: the short timeout ends the wait)
            SmtpTransport(SmtpConfig(**{**config.__dict__, "password": "wrong", "timeout_s": 1.0})).send(message)
        unknown_ca = SmtpConfig(**{**config.__dict__, "ca_file": ""})
        with pytest.raises(MailDelayed, match="SSL"):  # a certificate nobody vouches for: no password is sent
            SmtpTransport(unknown_ca).send(message)
        assert sink.logins == ["portal"]
    finally:
        sink.stop()


def test_a_new_address_starts_with_yourself_chosen_and_a_later_one_keeps_the_choices(tmp_path, private_world,
                                                                                       smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    client = app.test_client()
    from webtools import login
    login(client, KARIN)
    _, token = settings_form(client)
    client.post("/aviseringar/adress", data={"address": ADDRESS, "csrf_token": token})
    soup, token = settings_form(client)
    checked = [soup.select_one(f'label[for="{b["id"]}"]').get_text(strip=True)
               for b in soup.select('input[name="party"][checked]')]
    assert checked == ["Dig själv"]
    ostron = next(b["value"] for b in soup.select('input[name="party"]')
                  if "Ostron" in soup.select_one(f'label[for="{b["id"]}"]').get_text())
    client.post("/aviseringar", data={"mode": "daily", "party": [ostron], "csrf_token": token})
    client.post("/aviseringar/adress", data={"address": "ny@example.se", "csrf_token": token})
    sub = _subscription(app)
    assert (sub["address"], sub["address_state"], sub["mode"], sub["parties"]) == \
        ("ny@example.se", "pending", "daily", ["16" + _ostron_orgnr()])


def test_one_broken_subscriber_does_not_stop_the_others(tmp_path, private_world, smtp_sink):
    app = notice_app(tmp_path, private_world, smtp_sink)
    with app.test_request_context():
        s = store()
        broken = s.user_for("000000000000", "Trasig rad")  # a row no identity number parses from
        s.set_notice_address(broken, "trasig@example.se", "sv", parties=["000000000000"])
        s.confirm_notice_address(broken, "trasig@example.se")
    subscribe(app.test_client(), smtp_sink)
    notifier_pass(app)
    put_event(private_world, your_turn_event("skv-notice-40", "131 777777-26/40"))
    notifier_pass(app)
    assert len(notices_to(smtp_sink)) == 1
