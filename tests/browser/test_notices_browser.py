"""Notices in chromium, end to end: subscribe without JavaScript, a daily summary from the real notifier command,
and the one-click stop from the message. A mock world and a portal of its own; a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from browsertools import KARIN, login
from mockworld import MockWorld
from portalserver import ROOT, PortalServer, free_port
from portal.standard import clock
from smtpsink import SmtpSink, links_in, text_of

ADDRESS = "karin.strom@example.se"


@pytest.fixture()
def notice_world(tmp_path):
    world, sink = MockWorld(), SmtpSink()
    port = free_port()
    tables = {"smtp": {"host": "127.0.0.1", "port": sink.port, "starttls": False,
                       "sender": "Mina ärenden <noreply@portal.example>"},
              "notify": {"base_url": f"http://127.0.0.1:{port}", "refresh_interval_s": 0, "retry_base_s": 0,
                         "summary_hour": 0}}
    server = PortalServer(world.url, tmp_path, port=port, extra_config=tables, login_rate_limit="10000 per minute",
                          fresh_s=0)
    try:
        yield world, sink, server
    finally:
        server.stop()
        sink.stop()
        world.stop()


def notify(server) -> str:
    """`flask --app portal notify`, one pass, as cron would run it beside the web workers."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "notify"], cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def event(event_id: str, must_act: bool) -> dict:
    return {
        "kundhandelseId": event_id,
        "part": {"kund": {"identifierare": KARIN, "typ": "Personnummer"},
                 "arende": {"identifierare": f"131 888888-26/{event_id}", "typ": "Diarienummer"}},
        "rubrik": "Hemlig rubrik", "beskrivning": "Hemlig text.", "sprak": "sv", "producent": "Skatteverket",
        "tidpunkt": clock.now().replace(microsecond=0).isoformat(),
        "kundhandelseTyp": "SKV.INKOMSTDEKLARATION.FORFRAGAN",
        "producentarendetKraverKundatgard": must_act, "producentarendetKlart": not must_act, "version": "6.1",
        "utokadInformation": {"senastDatum": str(clock.today() + dt.timedelta(days=30))} if must_act else {},
    }


def test_daily_summary_and_one_click_stop(notice_world, new_page):
    world, sink, server = notice_world
    page = new_page(javascript=False)
    login(page, server, KARIN)
    page.get_by_role("link", name="Aviseringar").click()
    page.fill("#address", ADDRESS)
    page.get_by_role("button", name="Skicka en länk för bekräftelse").click()
    assert "inte bekräftad än" in page.locator("main").inner_text()
    [confirm] = sink.to(ADDRESS)
    page.goto(next(u for u in links_in(confirm) if "/bekrafta/" in u))
    assert "bekräftad" in page.locator(".notice-address").inner_text()
    page.get_by_label("En sammanfattning om dagen, på morgonen").check()
    page.get_by_label("Dig själv").check()
    page.get_by_role("button", name="Spara val").click()
    assert page.get_by_label("En sammanfattning om dagen, på morgonen").is_checked()

    notify(server)  # the cases Karin has are history
    for event_id, must_act in (("n1", True), ("n2", False)):
        assert world.admin("PUT", "/producers/skatteverket/events", event(event_id, must_act)).status_code == 200
    notify(server)
    notify(server)
    summaries = [m for m in sink.to(ADDRESS) if m is not confirm]
    assert len(summaries) == 1
    body = text_of(summaries[0])
    assert "dagens sammanfattning" in body and "Hemlig" not in body and not re.search(r"\d{10}", body)

    page.goto(summaries[0]["List-Unsubscribe"].strip("<>"))  # the link in the message, no log-in needed
    page.get_by_role("button", name="Stoppa alla aviseringar").click()
    assert "Inga fler aviseringar" in page.locator("#stopped").inner_text()
    assert urlsplit(page.url).path.startswith("/aviseringar/stopp/")
    assert world.admin("PUT", "/producers/skatteverket/events", event("n3", True)).status_code == 200
    notify(server)
    assert len([m for m in sink.to(ADDRESS) if m is not confirm]) == 1
    page.goto(server.url + "/aviseringar")
    assert page.locator("#notices-stopped").is_visible()
