"""Web security: headers, session rotation at party switch, login rate limit, health checks."""

from __future__ import annotations

from portal import create_app
from webtools import EVA, KARIN, act_as, csrf_token, login, page, portal_config


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("portal_session")
    return cookie.value if cookie else None


def test_security_headers_on_every_page(client):
    login(client, KARIN)
    for path in ("/login", "/", "/vem-har-tittat", "/arende/nosuchcase"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "'nonce-" not in csp  # no inline script at all: not even one carrying this page's nonce may run
        assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert r.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_or_style_in_pages(client):
    login(client, KARIN)
    for path in ("/login", "/", "/vem-har-tittat"):
        soup = page(client.get(path))
        assert all(tag.get("src") for tag in soup.find_all("script")), path
        assert not soup.find_all("style") and not soup.select("[style]"), path
        assert not [a for tag in soup.find_all(True) for a in tag.attrs if a.startswith("on")], path


def test_party_switch_rotates_the_session_and_old_cookie_is_worthless(client, app):
    login(client, EVA)
    before = session_cookie(client)
    assert act_as(client, "Kustbageriet AB").status_code == 302
    after = session_cookie(client)
    assert before != after
    replay = app.test_client()
    replay.set_cookie("portal_session", before)
    assert replay.get("/").status_code == 302  # back to the log-in page


def test_htmx_requests_need_the_csrf_header_too(client):
    login(client, EVA)
    home = page(client.get("/"))
    handle = home.select("#party-select option")[1]["value"]
    refused = client.post("/act-as", data={"party": handle}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    token = csrf_token(client, "/")
    ok = client.post("/act-as", data={"party": handle}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code == 302


def test_login_is_rate_limited(make_app):
    client = make_app(login_rate_limit="3 per minute").test_client()
    token = csrf_token(client)
    codes = [client.post("/login", data={"personnummer": "1", "csrf_token": token}).status_code for _ in range(5)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]
    assert page(client.post("/login", data={"personnummer": "1", "csrf_token": token})).select_one("h1")


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"config": True, "database": True}


def test_readiness_fails_when_the_database_cannot_be_opened(make_app, tmp_path):
    client = make_app(database=str(tmp_path / "portal.db")).test_client()  # the SQLite file itself
    db = tmp_path / "portal.db"
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"portal.db{suffix}").unlink(missing_ok=True)
    db.mkdir()  # a directory where the database file should be: nothing can be opened or written
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json == {"status": "unavailable", "checks": {"config": True, "database": False}}
    assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_readiness_fails_when_the_database_file_is_deleted_under_the_running_portal(make_app, tmp_path, caplog):
    # The workers' open connections keep writing to the unlinked file; all of it would be lost at restart.
    client = make_app(database=str(tmp_path / "portal.db")).test_client()  # the SQLite file itself
    assert client.get("/readyz").status_code == 200
    (tmp_path / "portal.db").unlink()
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json["checks"]["database"] is False
    assert any("not ready" in m and "gone" in m for m in caplog.messages)
    assert not (tmp_path / "portal.db").exists()  # the check made no new, empty database in its place


def test_readiness_fails_when_the_database_file_is_replaced(make_app, tmp_path, caplog):
    client = make_app(database=str(tmp_path / "portal.db")).test_client()  # the SQLite file itself
    db = tmp_path / "portal.db"
    db.rename(tmp_path / "old.db")
    db.write_bytes((tmp_path / "old.db").read_bytes())  # a copy in its place: same content, another file
    assert client.get("/readyz").status_code == 503
    assert any("not the file the portal opened" in m for m in caplog.messages)


def test_health_checks_are_never_a_redirect_in_production_mode(tmp_path, demo_world):
    # Outside demo mode plain HTTP is redirected to HTTPS; a probe would read that 302 as success.
    import dataclasses

    from oidcprovider import oidc_config
    # Outside demo mode the portal starts only with a real e-ID configured (never reached here).
    cfg = dataclasses.replace(portal_config(tmp_path, demo_world.url, demo=False),
                              oidc=oidc_config("https://eid.example.se", base="https://portal.example.se"))
    app = create_app({"PORTAL": cfg})
    client = app.test_client()
    assert client.get("/").status_code == 302  # pages still go to HTTPS
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_signed_in_pages_are_never_stored(client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, KARIN)
    home = page(client.get("/"))
    case = home.select_one("main .case-card__title a")["href"]
    for path in ("/", case, "/livssituationer", "/katalog", "/kalender", "/vem-har-tittat"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "no-store", path


def test_a_session_is_a_bearer_nonce_ended_by_logout_not_bound_to_the_client(client):
    """Documented choice (README): no binding to address or user agent; log-out ends the session on the server."""
    login(client, KARIN)
    cookie = client.get_cookie("portal_session").value
    other = client.application.test_client()
    other.set_cookie("portal_session", cookie)
    assert other.get("/", headers={"User-Agent": "another browser"},
                     environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code in (302, 303)
    assert other.get("/").status_code == 302  # the replayed cookie is dead too


def _attempts(client, address: str, n: int) -> list[int]:
    token = csrf_token(client)
    return [client.post("/login", data={"personnummer": "1", "csrf_token": token},
                        headers={"X-Forwarded-For": address}).status_code for _ in range(n)]


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(make_app):
    app = make_app(login_rate_limit="2 per minute", proxy_hops=1)
    assert _attempts(app.test_client(), "198.51.100.1", 3) == [400, 400, 429]
    assert _attempts(app.test_client(), "198.51.100.2", 2) == [400, 400]  # another client behind the same proxy


def test_without_a_trusted_proxy_a_forwarded_for_header_is_ignored(make_app):
    app = make_app(login_rate_limit="2 per minute")
    assert _attempts(app.test_client(), "198.51.100.1", 2) == [400, 400]
    assert _attempts(app.test_client(), "198.51.100.2", 1) == [429]  # a forged header buys no new bucket


# --- the database gone while signed in: a readable 503, drawn as for a signed-out visitor -------------------

UNAVAILABLE = "Tjänsten är inte tillgänglig just nu"


def _signed_out_503(response):
    """The 503 page says what happened and shows nobody as signed in: who is signed in cannot be read."""
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    soup = page(response)
    assert soup.select_one("h1").get_text(strip=True) == UNAVAILABLE
    assert "Inget har gått förlorat" in soup.select_one("main").get_text()
    assert not soup.select(".site-header__user") and not soup.select('form[action="/logout"]')
    assert not soup.select(".site-nav")  # the signed-in menu
    assert "Karin" not in response.get_data(as_text=True)


def test_the_database_unreachable_when_the_session_is_read_is_a_signed_out_503(make_app, tmp_path):
    from portal.store import database

    client = make_app(database=str(tmp_path / "portal.db")).test_client()  # the SQLite file itself
    login(client, KARIN)
    (tmp_path / "portal.db").rename(tmp_path / "moved.db")
    (tmp_path / "portal.db").mkdir()  # nothing can be opened there
    database.dispose_engines()  # no connection left open on the moved file: the next request must open one
    _signed_out_503(client.get("/"))


def test_the_database_lost_in_the_middle_of_a_page_is_a_signed_out_503(client, monkeypatch):
    """The session was read (the user is known) when the database went away: the page still shows nobody."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from portal import audit

    login(client, KARIN)

    def lost(*_args, **_kwargs):
        raise OperationalError("insert into audit", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(audit, "record", lost)
    _signed_out_503(client.get("/livssituationer"))


def test_no_module_of_the_portal_sets_flask_logins_private_state():
    """The 503 page draws as signed out through flask-login's public ways (a user loader that answers "nobody"),
    not by writing its private per-request user, which a flask-login release may rename."""
    from pathlib import Path

    portal = Path(__file__).resolve().parents[2] / "portal"
    assert [p.name for p in portal.rglob("*.py") if "_login_user" in p.read_text(encoding="utf-8")] == []
