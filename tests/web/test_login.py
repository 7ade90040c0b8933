"""Log-in, log-out and the session's lifetime, as a user meets them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest

from webtools import (ALI, EVA, KARIN, OLLE, assert_page_structure, create_app, csrf_token, login, page,
                      portal_config, text_of)
from portal.config import ConfigError
from portal.standard import clock
from portal.store import Store, connect

DEMO_NAMES = ["Karin Ström", "Sara Lind", "Johan Berg", "Eva Nyström", "Olle Tom", "Ali Hassan", "Anders Holm",
              "Lena Ek"]


def _location_path(response) -> str:
    from urllib.parse import urlsplit
    return urlsplit(response.headers["Location"]).path


def _database(app) -> str:
    return app.extensions["portal"].config.settings.database


def _active_sessions(app) -> list[dict]:
    db = connect(_database(app))
    try:
        return [dict(r) for r in db.execute("select * from sessions where ended_at is null").mappings()]
    finally:
        db.close()


# --- the log-in page -------------------------------------------------------------------------------------------

def test_login_page_lists_demo_identities_and_a_labelled_field(client):
    r = client.get("/login")
    assert r.status_code == 200
    soup = page(r)
    assert text_of(soup.select_one("h1")) == "Logga in"
    field = soup.select_one("form input#personnummer")
    assert field is not None and field["name"] == "personnummer"
    label = soup.select_one('label[for="personnummer"]')
    assert text_of(label) == "Personnummer"
    hint_id = field["aria-describedby"].split()[0]
    assert "12 siffror" in text_of(soup.select_one(f"#{hint_id}"))
    buttons = [text_of(b) for b in soup.select(".identity-list button")]
    assert buttons == [f"Logga in som {name}" for name in DEMO_NAMES]
    # Each demo identity is a form that posts (never a link with the number in the URL).
    for form in soup.select(".identity-list form"):
        assert form["method"] == "post" and form["action"] == "/login"
        assert form.select_one('input[name="csrf_token"]')["value"]
    assert_page_structure(soup)


@pytest.mark.parametrize("typed, message", [
    ("1990-09-09", "Skriv personnumret med 12 siffror, till exempel 19900101-1239."),
    ("abcdefghijkl", "Skriv personnumret med 12 siffror, till exempel 19900101-1239."),
    ("19900909-0001", "Personnumret är inte giltigt: kontrollera sista siffran."),
    ("199002301238", "Datumet i personnumret finns inte."),
], ids=["bad-format", "letters", "bad-checksum", "impossible-date"])
def test_bad_personnummer_is_refused_with_a_specific_message_and_not_echoed(client, typed, message):
    token = csrf_token(client)
    r = client.post("/login", data={"personnummer": typed, "csrf_token": token})
    assert r.status_code == 400
    soup = page(r)
    error = soup.select_one("#personnummer-error")
    assert text_of(error) == message
    field = soup.select_one("input#personnummer")
    assert field.get("value", "") == ""
    assert field["aria-invalid"] == "true"
    assert "personnummer-error" in field["aria-describedby"].split()
    # The typed number appears nowhere: not in the text, not in any attribute.
    digits = "".join(ch for ch in typed if ch.isdigit())
    assert typed not in soup.get_text()
    for tag in soup.find_all(True):
        for value in tag.attrs.values():
            value = " ".join(value) if isinstance(value, list) else str(value)
            assert typed not in value
            if len(digits) >= 8:
                assert digits not in value
    assert_page_structure(soup)
    # And nobody is logged in.
    assert _location_path(client.get("/")) == "/login"


def test_login_without_csrf_token_is_refused(client):
    client.get("/login")
    r = client.post("/login", data={"personnummer": KARIN})
    assert r.status_code == 400
    assert _location_path(client.get("/")) == "/login"


def test_login_with_a_wrong_csrf_token_is_refused(client):
    client.get("/login")
    r = client.post("/login", data={"personnummer": KARIN, "csrf_token": "not-the-token"})
    assert r.status_code == 400
    assert _location_path(client.get("/")) == "/login"


def test_successful_login_redirects_home_and_rotates_the_session(app, client):
    client.get("/login")
    before = client.get_cookie("portal_session")
    assert before is not None  # the log-in form's CSRF token already lives in a session
    r = login(client, KARIN)
    assert r.status_code == 302 and _location_path(r) == "/"
    after = client.get_cookie("portal_session")
    assert after is not None and after.value != before.value
    home = client.get("/")
    assert home.status_code == 200
    assert text_of(page(home).select_one(".site-header__user")) == "Karin Ström"

    # The cookie from before the log-in gives no access.
    stranger = app.test_client()
    stranger.set_cookie("portal_session", before.value)
    assert _location_path(stranger.get("/")) == "/login"


def test_each_login_starts_a_new_server_side_session(app, client):
    login(client, KARIN)
    first = client.get_cookie("portal_session").value
    assert len(_active_sessions(app)) == 1
    login(client, KARIN)  # logging in again ends the old session and starts a new one
    second = client.get_cookie("portal_session").value
    assert first != second
    assert len(_active_sessions(app)) == 1
    replay = app.test_client()
    replay.set_cookie("portal_session", first)
    assert _location_path(replay.get("/")) == "/login"


def test_samordningsnummer_can_log_in(client):
    r = login(client, ALI)
    assert _location_path(r) == "/"
    assert text_of(page(client.get("/")).select_one(".site-header__user")) == "Ali Hassan"


def test_login_page_needs_no_login_but_home_does(client):
    r = client.get("/")
    assert r.status_code == 302 and _location_path(r) == "/login"
    assert client.get("/arende/0123456789abcdef0123").status_code == 302


# --- log-out ---------------------------------------------------------------------------------------------------

def test_logout_is_post_only(client):
    login(client, KARIN)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # still logged in


def test_logout_needs_csrf(client):
    login(client, KARIN)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_logout_ends_the_session(app, client):
    login(client, KARIN)
    soup = page(client.get("/"))
    form = soup.select_one('header form[action="/logout"]')
    assert form["method"] == "post"
    logged_in_cookie = client.get_cookie("portal_session").value
    r = client.post("/logout", data={"csrf_token": form.select_one('input[name="csrf_token"]')["value"]})
    assert r.status_code == 302 and _location_path(r) == "/login"
    login_page = page(client.get("/login"))
    assert "Du är utloggad." in [text_of(n) for n in login_page.select("main .notice")]
    assert _location_path(client.get("/")) == "/login"
    # The cookie from while logged in no longer works: the session ended on the server.
    replay = app.test_client()
    replay.set_cookie("portal_session", logged_in_cookie)
    assert _location_path(replay.get("/")) == "/login"
    assert _active_sessions(app) == []


# --- idle and absolute lifetime --------------------------------------------------------------------------------

def test_idle_session_expires(make_app):
    app = make_app(session_idle_min=0.0001)  # 6 ms
    client = app.test_client()
    login(client, OLLE)
    time.sleep(0.05)
    r = client.get("/")
    assert r.status_code == 302 and _location_path(r) == "/login"
    assert _active_sessions(app) == []


def _age_session(app, **ages):
    db = connect(_database(app))
    try:
        store = Store(db)
        (row,) = db.execute("select * from sessions where ended_at is null").mappings().all()
        moment = clock.now()
        for column, age in ages.items():
            assert column in ("created_at", "last_seen")
            db.execute(f"update sessions set {column} = ? where nonce = ?", [(moment - age).isoformat(), row["nonce"]])
        assert store.session(row["nonce"]) is not None
    finally:
        db.close()


def test_session_within_idle_limit_stays(app, client):
    login(client, OLLE)
    _age_session(app, last_seen=dt.timedelta(minutes=29))
    assert client.get("/").status_code == 200
    # ... and that request counted as activity.
    (row,) = _active_sessions(app)
    assert clock.now() - dt.datetime.fromisoformat(row["last_seen"]) < dt.timedelta(minutes=1)


def test_session_past_idle_limit_redirects_to_login(app, client):
    login(client, OLLE)
    _age_session(app, last_seen=dt.timedelta(minutes=31))
    r = client.get("/")
    assert r.status_code == 302 and _location_path(r) == "/login"
    assert _active_sessions(app) == []


def test_session_past_absolute_limit_redirects_to_login(app, client):
    login(client, OLLE)
    _age_session(app, created_at=dt.timedelta(hours=8, minutes=1), last_seen=dt.timedelta(seconds=1))
    r = client.get("/")
    assert r.status_code == 302 and _location_path(r) == "/login"


# --- the mock e-ID only in test and demo mode ------------------------------------------------------------------

def _production_like_app(tmp_path, demo_world, *, demo: bool):
    cfg = portal_config(tmp_path, demo_world.url)
    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, demo=demo,
                                                                secret_key="s" * 48))
    # CSRF off only so that a POST reaches the view: the point here is the e-ID's refusal.
    return create_app({"PORTAL": cfg, "WTF_CSRF_ENABLED": False})


def test_the_portal_does_not_start_outside_demo_mode_with_only_the_mock_eid(tmp_path, demo_world):
    # With an OpenID provider configured it starts and offers only that: tests/web/test_oidc_web.py.
    with pytest.raises(ConfigError) as info:
        _production_like_app(tmp_path, demo_world, demo=False)
    assert "no e-ID configured: add an [oidc] section" in str(info.value)
    assert "PORTAL_DEMO=1" in str(info.value)


def test_mock_eid_is_offered_in_demo_mode(tmp_path, demo_world):
    app = _production_like_app(tmp_path, demo_world, demo=True)
    assert not app.testing
    r = app.test_client().get("/login")
    assert r.status_code == 200
    assert page(r).select_one("input#personnummer") is not None


def test_csrf_token_from_before_login_is_void_after_login(client):
    old_token = csrf_token(client)
    client.post("/login", data={"personnummer": KARIN, "csrf_token": old_token})
    assert client.get("/").status_code == 200
    # The session was renewed at log-in, and its CSRF token with it.
    assert client.post("/logout", data={"csrf_token": old_token}).status_code == 400
    assert client.get("/").status_code == 200
    new_token = page(client.get("/")).select_one('header form[action="/logout"] input[name="csrf_token"]')["value"]
    assert new_token != old_token
    assert client.post("/logout", data={"csrf_token": new_token}).status_code == 302


def test_session_cookie_is_http_only_and_same_site(client):
    client.get("/login")
    token = csrf_token(client)
    r = client.post("/login", data={"personnummer": KARIN, "csrf_token": token})
    cookies = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("portal_session=")]
    assert cookies
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookies[-1].split(";")[1:]}
    assert "httponly" in flags
    assert flags["samesite"].lower() == "samesite=lax"


def test_valid_number_outside_the_demo_list_logs_in_as_a_test_person(client):
    r = login(client, "19900909-0003")  # a valid, fictitious number no demo identity has
    assert _location_path(r) == "/"
    soup = page(client.get("/"))
    assert text_of(soup.select_one(".site-header__user")) == "Testperson"
    assert text_of(soup.select_one("main .empty")) == "Det finns inga ärenden att visa."


def test_a_page_view_that_changes_nothing_sends_no_new_session_cookie(client):
    login(client, KARIN)
    for _ in range(2):  # the first page after log-in too: the log-in's cookie already holds the CSRF secret
        again = client.get("/")
        assert again.status_code == 200
        # The cookie set at log-in still holds: it is not signed and sent again with every page.
        assert not [h for h in again.headers.getlist("Set-Cookie") if h.startswith("portal_session=")]
    # and its forms carry a token that the log-in's session accepts
    token = page(again).select_one('header form[action="/logout"] input[name="csrf_token"]')["value"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
