"""Helpers for the notice tests: an app wired to a real SMTP server, a subscribed user, a notifier pass."""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import urlsplit

from portal import create_app
from portal.config import SmtpConfig
from portal.notifier import run_pass
from portal.standard import clock
from smtpsink import links_in
from webtools import KARIN, login, page, portal_config

ADDRESS = "karin@example.se"


def notice_app(tmp_path, world, sink, settings: dict | None = None, **notify):
    """The portal against ``world``, mailing to ``sink``; agencies asked on every pass, retries at once."""
    cfg = portal_config(tmp_path, world.url, **({"fresh_s": 0} | (settings or {})))
    notify = {"refresh_interval_s": 0.0, "retry_base_s": 0.0, "base_url": "http://portal.example"} | notify
    cfg = dataclasses.replace(cfg, smtp=SmtpConfig(host="127.0.0.1", port=sink.port, starttls=False, timeout_s=10.0,
                                                   sender="Mina ärenden <noreply@portal.example>"),
                              notify=dataclasses.replace(cfg.notify, **notify))
    return create_app({"TESTING": True, "PORTAL": cfg})


def notifier_pass(app, mail=None, worker=None):
    with app.test_request_context(base_url=app.extensions["portal"].config.notify.base_url):
        return run_pass(mail, worker)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def settings_form(client):
    soup = page(client.get("/aviseringar"))
    return soup, soup.select_one('input[name="csrf_token"]')["value"]


def subscribe(client, sink, *, pnr: str = KARIN, address: str = ADDRESS, mode: str = "immediate",
              parties=("Dig själv",)):
    """Log in, add and confirm an address through the link mailed to it, choose mode and parties."""
    login(client, pnr)
    _, token = settings_form(client)
    r = client.post("/aviseringar/adress", data={"address": address, "csrf_token": token})
    assert r.status_code == 303
    confirm = sink.to(address)[-1]
    link = next(u for u in links_in(confirm) if "/aviseringar/bekrafta/" in u)
    assert client.get(path_of(link)).status_code == 303
    soup, token = settings_form(client)
    chosen = [box["value"] for box in soup.select('input[name="party"]')
              if soup.select_one(f'label[for="{box["id"]}"]').get_text(strip=True) in parties]
    assert len(chosen) == len(parties)
    r = client.post("/aviseringar", data={"mode": mode, "party": chosen, "csrf_token": token})
    assert r.status_code == 303
    return soup


def your_turn_event(event_id: str, arende: str, *, kund: str = KARIN, closed: bool = False,
                    deadline_days: int | None = 30) -> dict:
    """A new Skatteverket event for ``kund`` that puts the ball with the customer (or closes the case)."""
    must_act = not closed
    extra = {"senastDatum": str(clock.today() + dt.timedelta(days=deadline_days))} if must_act and deadline_days \
        is not None else {}
    return {
        "kundhandelseId": event_id,
        "part": {"kund": {"identifierare": kund, "typ": "Personnummer"},
                 "arende": {"identifierare": arende, "typ": "Diarienummer"}},
        "rubrik": "Hemlig rubrik: vi behöver dina kvitton",
        "beskrivning": "Hemlig beskrivning som aldrig får stå i ett mejl.",
        "sprak": "sv",
        "producent": "Skatteverket",
        "tidpunkt": clock.now().replace(microsecond=0).isoformat(),
        "kundhandelseTyp": "SKV.INKOMSTDEKLARATION.FORFRAGAN",
        "producentarendetKraverKundatgard": must_act,
        "producentarendetKlart": closed,
        "version": "6.1",
        "utokadInformation": extra,
    }


def put_event(world, event: dict) -> None:
    r = world.admin("PUT", "/producers/skatteverket/events", event)
    assert r.status_code == 200, r.text


def notices_to(sink, address: str = ADDRESS) -> list:
    """The notices (not the address confirmation) the server received for ``address``."""
    return [m for m in sink.to(address) if "/aviseringar/bekrafta/" not in m.get_body(("plain",)).get_content()]
