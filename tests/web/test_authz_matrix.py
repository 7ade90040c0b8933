"""The authorization matrix, generated from the route map.

Every route (full pages, htmx fragments, GET and POST) x every demo user x every
party that user may not act for now (never had, expired, revoked) and every
slice of an allowed party outside the mandate's agencies or codes: no response
contains any of that data, and the status is 403/404, a redirect, or a page
about someone else. Tampered form values and forged or stale handles included.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest

from portal.config import DEMO_CONFIG
from portal.case import case_handle, party_handle_key
from portal.representation import Party, party_handle
from portal.standard.identity import from_ombud, parse_kund
from portal.standard.mandates import code_covers, find_permissions
from webtools import ALI, DATA, EVA, JOHAN, KARIN, OLLE, SARA, csrf_token, demo_events, login

USERS = {"karin": KARIN, "sara": SARA, "johan": JOHAN, "eva": EVA, "olle": OLLE, "ali": ALI}
SLUGS = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
         "livsmedelsverket", "lantmateriet")
REGISTRY = json.loads((DATA / "minaombud.json").read_text(encoding="utf-8"))
ORGNR = {json.loads((DATA / f"{s}.json").read_text(encoding="utf-8"))["producent"]["orgnr"]: s for s in SLUGS}
# What each agency's opaque permission codes cover: its catalog's behorighetskoder, and portal/demo.toml's
# [permissions.<slug>] tables (read here with tomllib, not through the portal's config code).
CODES = {s: {b["kod"]: b["prefix"] for b in (json.loads((DATA / f"{s}.json").read_text(encoding="utf-8"))
                                            .get("katalog") or {}).get("behorighetskoder", [])} for s in SLUGS}
for _slug, _table in tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8")).get("permissions", {}).items():
    CODES[_slug].update(_table)


def what_user_may_see(user: str):
    """(slug, kund, type) -> bool, straight from the registry data and the rules, independent of the portal."""
    signs_for = {"16" + r["orgnr"] for r in REGISTRY["firmatecknare"] if r["pnr"] == user}
    grants = {}
    for entry in find_permissions(REGISTRY["fullmakter"], {"id": user, "typ": "pnr"}, today=dt.date.fromisoformat(REGISTRY["referensdatum"])):
        giver = from_ombud(entry["fullmaktsgivare"]["id"], entry["fullmaktsgivare"]["typ"]).digits
        grants.setdefault(giver, []).append((ORGNR.get(entry["tredjeman"]), [b["kod"] for b in entry["behorigheter"]]))

    def may(slug: str, kund: str, typ: str) -> bool:
        if kund == user or kund in signs_for:
            return True
        return any(s == slug and any(code_covers(c, typ, CODES[s]) for c in codes) for s, codes in grants.get(kund, []))
    may.actable = {user, *signs_for, *grants}  # whom the user may act for at all
    return may


class Forbidden(list):
    """(slug, event) pairs a user may not see, remembering whose list it is."""

    def __init__(self, user: str, items):
        super().__init__(items)
        self.user = user


def forbidden_events(user: str) -> Forbidden:
    may = what_user_may_see(user)
    return Forbidden(user, [(slug, e) for slug in SLUGS for e in demo_events(slug)
                            if not may(slug, e["part"]["kund"]["identifierare"], e["kundhandelseTyp"])])


def markers(events) -> set[str]:
    """Text that would give the forbidden data away: case references, the customers' numbers, planted names."""
    out = {"Någon annans livssituation"}
    for _, e in events:
        if e["part"].get("arende"):
            out.add(e["part"]["arende"]["identifierare"])
        kund = e["part"]["kund"]["identifierare"]
        out.update({kund, kund[2:], f"{kund[2:8]}-{kund[8:]}"})
    return out


def leaks(response, secrets: set[str], user: str) -> set[str]:
    text = response.get_data(as_text=True) + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    own = {user, user[2:], f"{user[2:8]}-{user[8:]}"}
    return {m for m in secrets - own if m in text}


def forged_party_handles(app, client, events) -> list[str]:
    """Handles for forbidden parties, signed with the real secret and this very session's nonce."""
    with client.session_transaction() as sess:
        nonce = sess["_user_id"]
    actable = what_user_may_see(events.user).actable
    parties = {e["part"]["kund"]["identifierare"]: e["part"]["kund"]["typ"] for _, e in events
               if e["part"]["kund"]["identifierare"] not in actable}
    return [party_handle(app.secret_key, nonce, Party(parse_kund(k, t), "x", "own")) for k, t in parties.items()]


def forged_case_handles(app, events) -> list[str]:
    from portal.standard.models import Event
    out = set()
    for slug, e in events:
        event = Event.from_json(e)
        out.add(case_handle(slug, event.case_key, party_handle_key(app.secret_key, event.part.kund.identifierare)))
    return sorted(out)


def _store(app):
    from portal.store import Store, connect
    return Store(connect(app.extensions["portal"].config.settings.database))


def foreign_situations(app, events) -> list[tuple[str, str]]:
    """(situation id, a case handle) of situations planted for every forbidden party."""
    store = _store(app)
    try:
        out = []
        for party in sorted({e["part"]["kund"]["identifierare"] for _, e in events}):
            situation_id = store.create_own_situation(party, "Någon annans livssituation", "someone")
            out.append((situation_id, "deadbeef" * 2))
        return out[:4]
    finally:
        store.close()


def foreign_calendar_tokens(app, client, events) -> list[str]:
    """Calendar links in this very user's name, but for parties the user may not act for."""
    store = _store(app)
    try:
        with client.session_transaction() as sess:
            session_row = store.session(sess["_user_id"])
        actable = what_user_may_see(events.user).actable
        parties = sorted({e["part"]["kund"]["identifierare"] for _, e in events} - actable)
        return [store.new_calendar_link(session_row["user_handle"], p) for p in parties[:4]]
    finally:
        store.close()


def foreign_notice_tokens(app, events) -> tuple[list[str], list[str]]:
    """Confirm and stop tokens of the forbidden persons (signed with the real secret), each with an address."""
    from portal import notice_tokens
    store = _store(app)
    try:
        actable = what_user_may_see(events.user).actable
        people = sorted({e["part"]["kund"]["identifierare"] for _, e in events
                         if e["part"]["kund"]["typ"] == "Personnummer"} - actable)[:3]
        confirm, stop = [], []
        for pnr in people:
            handle = store.user_for(pnr, "Någon annan")
            address = f"annan-{pnr[-4:]}@example.se"
            store.set_notice_address(handle, address, "sv")
            confirm.append(notice_tokens.confirm_token(app.secret_key, handle, address))
            stop.append(notice_tokens.stop_token(app.secret_key, handle, address))
        confirm.append(notice_tokens.confirm_token("another secret", "x" * 22, "a@example.se"))
        stop.append(notice_tokens.stop_token("another secret", "x" * 22, "a@example.se"))
        return confirm, stop
    finally:
        store.close()


def requests_for(rule, app, client, events):
    """The requests the matrix makes for one route; a route it does not know fails the test."""
    path = rule.rule
    if path.startswith("/static"):
        return []
    methods = rule.methods - {"HEAD", "OPTIONS"}
    csrf = csrf_token(client, "/")
    out = []
    if path == "/arende/<handle>":
        out += [("GET", f"/arende/{h}", None, {}) for h in forged_case_handles(app, events)]
        out += [("GET", f"/arende/{h}", None, {"HX-Request": "true"}) for h in forged_case_handles(app, events)[:3]]
    elif path == "/act-as":
        out += [("POST", "/act-as", {"party": h}, {}) for h in forged_party_handles(app, client, events)]
        out += [("POST", "/act-as", {"party": h}, {"HX-Request": "true"}) for h in forged_party_handles(app, client, events)[:2]]
        out += [("POST", "/act-as", {"party": "' or 1=1 --"}, {}), ("POST", "/act-as", {"party": "å" * 24}, {})]
    elif path in ("/livssituationer", "/katalog", "/kalender"):
        out += [("GET", path, None, {}), ("GET", path, None, {"HX-Request": "true"})]
        if "POST" in methods:
            out.append(("POST", path, {}, {}))
    elif path == "/livssituationer/<slug>":
        out += [("GET", f"/livssituationer/{s.slug}", None, {}) for s in app.extensions["portal"].config.situations]
        out.append(("GET", "/livssituationer/no-such-situation", None, {}))
    elif path == "/egna":
        out.append(("POST", path, {"name": "Matrisens test"}, {}))
    elif path.startswith("/egna/<situation_id>"):
        # Situations that belong to the forbidden parties: no route may reach them.
        for situation_id, case in foreign_situations(app, events):
            concrete = path.replace("<situation_id>", situation_id)
            if "GET" in methods:
                out.append(("GET", concrete, None, {}))
            else:
                out.append(("POST", concrete, {"name": "kapad", "case": case}, {}))
    elif path == "/kalender/aterkalla":
        out.append(("POST", path, {}, {}))
    elif path == "/kalender/<token>.ics":
        out += [("GET", f"/kalender/{t}.ics", None, {}) for t in foreign_calendar_tokens(app, client, events)]
        out.append(("GET", "/kalender/" + "x" * 32 + ".ics", None, {}))
    elif path == "/aviseringar":
        if "GET" in methods:
            out += [("GET", path, None, {}), ("GET", path, None, {"HX-Request": "true"})]
        else:  # choosing parties the user may not act for is refused
            out.append(("POST", path, {"mode": "immediate", "party": forged_party_handles(app, client, events)}, {}))
            out.append(("POST", path, {"mode": "sometimes"}, {}))
    elif path == "/aviseringar/adress":
        out += [("POST", path, {"address": "matris@example.se"}, {}), ("POST", path, {"address": "inte en adress"}, {})]
    elif path == "/aviseringar/stoppa":
        out.append(("POST", path, {}, {}))
    elif path == "/aviseringar/bekrafta/<token>":
        out += [("GET", f"/aviseringar/bekrafta/{t}", None, {}) for t in foreign_notice_tokens(app, events)[0]]
    elif path == "/aviseringar/stopp/<token>":
        # A stop token is the capability (RFC 8058): a real one stops that address, and the page shows nothing of whom.
        for t in foreign_notice_tokens(app, events)[1]:
            out += [("GET", f"/aviseringar/stopp/{t}", None, {}), ("POST", f"/aviseringar/stopp/{t}", {}, {})]
    elif path == "/alla/hamta":  # fetches news only for the parties the user may act for now; shows nothing itself
        out += [("POST", path, {}, {}), ("POST", path, {}, {"HX-Request": "true"})]
    elif path == "/sprak/<code>":
        out += [("GET", "/sprak/en?next=/", None, {}), ("GET", "/sprak/sv?next=/", None, {})]
    elif "<" in path:
        pytest.fail(f"route {path} is not in the authorization matrix: add it")
    else:
        for method in sorted(methods):
            if method == "GET":
                out += [("GET", path, None, {}), ("GET", path, None, {"HX-Request": "true"})]
            elif path == "/logout":
                continue  # would end the session the matrix is using; covered by the login tests
            elif path == "/login":
                out.append(("POST", path, {"personnummer": "not a number"}, {}))
            else:
                pytest.fail(f"route {method} {path} is not in the authorization matrix: add it")
    return [(m, p, ({**(d or {}), "csrf_token": csrf} if m == "POST" else None), h) for m, p, d, h in out]


@pytest.mark.parametrize("who", list(USERS), ids=list(USERS))
def test_no_route_shows_a_party_the_user_may_not_see(make_app, who):
    user = USERS[who]
    app = make_app(representation_ttl_s=0)
    client = app.test_client()
    login(client, user)
    events = forbidden_events(user)
    assert events, "the demo data must hold something this user may not see"
    secrets = markers(events)
    made = 0
    for rule in app.url_map.iter_rules():
        for method, path, data, headers in requests_for(rule, app, client, events):
            r = client.open(path, method=method, data=data, headers=headers)
            made += 1
            assert r.status_code in (200, 302, 303, 400, 403, 404), (method, path, r.status_code)
            assert not leaks(r, secrets, user), (method, path, leaks(r, secrets, user))
            if path.startswith("/act-as") and "csrf_token" in (data or {}):
                assert r.status_code == 403, path
            if path.startswith(("/arende/", "/egna/", "/kalender/")) and path != "/kalender/aterkalla":
                assert r.status_code == 404, (method, path, r.status_code)
    # And the overview the user does see, after all those attempts, still leaks nothing.
    final = client.get("/")
    assert final.status_code == 200 and not leaks(final, secrets, user)
    assert made > 10


@pytest.mark.parametrize("who", ["karin", "eva"])
def test_tampered_session_party_falls_back_to_the_user(make_app, who):
    user = USERS[who]
    app = make_app()
    client = app.test_client()
    login(client, user)
    events = forbidden_events(user)
    for handle in forged_party_handles(app, client, events):
        with client.session_transaction() as sess:
            sess["party"] = handle
        r = client.get("/")
        assert r.status_code == 200
        assert not leaks(r, markers(events), user)


def test_every_allowed_party_hides_what_its_basis_does_not_cover(make_app):
    """Eva acting for each company she may: the slices outside the mandate never show."""
    from webtools import act_as, page
    app = make_app()
    client = app.test_client()
    login(client, EVA)
    secrets = markers(forbidden_events(EVA))
    labels = [o.get_text() for o in page(client.get("/")).select("#party-select option")]
    assert len(labels) >= 4
    for label in labels:
        assert act_as(client, label.split(" – ")[0]).status_code == 302
        overview = client.get("/")
        assert not leaks(overview, secrets, EVA), label
        for a in page(overview).select("main .case-card__title a"):
            assert not leaks(client.get(a["href"]), secrets, EVA), (label, a["href"])
