"""Log-in and log-out through a real OpenID provider (npm oidc-provider on a loopback port), and every refusal.

The Flask test client is the portal; a ``requests`` session plays the browser at the provider. A refusal must
be a readable page, and leave nobody logged in and no session on the server.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from oidcprovider import (LOA3, PNR_SCOPE, OpenIdProvider, authenticate, free_port, oidc_config, query,
                          registration)
from webtools import assert_page_structure, create_app, page, portal_config, text_of
from portal import outbound
from portal.store import connect

pytestmark = pytest.mark.integration


def _app(tmp_path, demo_world, provider, client_id="portal", *, testing=True, **oidc):
    cfg = portal_config(tmp_path, demo_world.url)
    cfg = dataclasses.replace(cfg, oidc=oidc_config(provider, client_id, **oidc))
    if not testing:
        cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, secret_key="s" * 48))
        # CSRF off only so that a POST reaches the view: the point there is the mock e-ID's refusal.
        return create_app({"PORTAL": cfg, "WTF_CSRF_ENABLED": False})
    return create_app({"TESTING": True, "PORTAL": cfg})


@pytest.fixture()
def oidc_app(tmp_path, demo_world, openid_provider):
    def factory(client_id="portal", **oidc):
        return _app(tmp_path, demo_world, openid_provider, client_id, **oidc)
    return factory


def _sessions(app, where="ended_at is null") -> list[dict]:
    db = connect(app.extensions["portal"].config.settings.database)
    try:
        return [dict(r) for r in db.execute(f"select * from sessions where {where}").mappings()]
    finally:
        db.close()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _start(client) -> str:
    r = client.get("/login/oidc")
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def _callback(client, user: str, browser=None) -> str:
    """Start a log-in at the portal and go through the provider as ``user``; the callback URL, not yet followed."""
    return authenticate(_start(client), user, browser)


def _log_in(client, user: str, browser=None):
    return client.get(_path(_callback(client, user, browser)))


def assert_not_logged_in(app, client):
    r = client.get("/")
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"
    assert _sessions(app) == []


def assert_refusal(response, status: int, title: str):
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    soup = page(response)
    assert text_of(soup.select_one("h1")) == title
    assert "Du är inte inloggad." in text_of(soup.select_one("main"))
    assert_page_structure(soup)


# --- log-in -----------------------------------------------------------------------------------------------------

def test_login_page_offers_the_e_id_and_the_authorization_request_is_code_flow_with_pkce(oidc_app, openid_provider):
    app = oidc_app()
    client = app.test_client()
    soup = page(client.get("/login"))
    link = soup.select_one("a#oidc-login")
    assert text_of(link) == "Logga in med e-legitimation" and link["href"] == "/login/oidc"
    url = _start(client)
    assert url.startswith(openid_provider.issuer + "/auth?")
    q = query(url)
    assert q["response_type"] == "code" and q["client_id"] == "portal"
    assert q["redirect_uri"] == "http://localhost/login/callback"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32 and q["state"] != q["nonce"]
    assert q["scope"].split() == ["openid", "profile", PNR_SCOPE]
    assert q["acr_values"].split()[0] == LOA3
    # Two log-ins never share state, nonce or challenge.
    again = query(_start(app.test_client()))
    assert {again["state"], again["nonce"], again["code_challenge"]}.isdisjoint({q["state"], q["nonce"],
                                                                                 q["code_challenge"]})


def test_login_end_to_end_names_the_person_and_rotates_the_session(oidc_app):
    app = oidc_app()
    client = app.test_client()
    client.get("/login")
    before = client.get_cookie("portal_session").value
    callback = _callback(client, "karin")
    assert set(query(callback)) == {"code", "state", "iss"}  # nothing about the person in the URL
    r = client.get(_path(callback))
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/"
    assert client.get_cookie("portal_session").value != before
    home = client.get("/")
    assert home.status_code == 200
    assert text_of(page(home).select_one(".site-header__user")) == "Karin Ström"
    assert "Ostron" in home.get_data(as_text=True)  # her cases, fetched for the number the provider gave
    (row,) = _sessions(app)
    assert row["id_token"].count(".") == 2  # kept on the server for log-out at the provider
    # The cookie from before the log-in gives no access.
    stranger = app.test_client()
    stranger.set_cookie("portal_session", before)
    assert stranger.get("/").status_code == 302


def test_a_coordination_number_logs_in(oidc_app):
    app = oidc_app()
    client = app.test_client()
    assert _log_in(client, "ali").status_code == 302
    assert text_of(page(client.get("/")).select_one(".site-header__user")) == "Ali Hassan"


def test_the_identity_claim_is_configurable_for_brokers_that_say_nin(oidc_app):
    app = oidc_app(scopes=("openid", "profile", "nin"), identity_claims=("nin",))
    client = app.test_client()
    assert _log_in(client, "sara").status_code == 302
    assert text_of(page(client.get("/")).select_one(".site-header__user")) == "Sara Lind"


# --- refusals ---------------------------------------------------------------------------------------------------

def test_wrong_state_is_refused(oidc_app):
    app = oidc_app()
    client = app.test_client()
    callback = _callback(client, "karin")
    forged = callback.replace("state=" + query(callback)["state"], "state=" + "x" * 43)
    assert_refusal(client.get(_path(forged)), 400, "Inloggningen kunde inte slutföras")
    assert_not_logged_in(app, client)
    # The log-in this browser started is used up: even the right state no longer completes it.
    assert_refusal(client.get(_path(callback)), 400, "Inloggningen kunde inte slutföras")
    assert_not_logged_in(app, client)


def test_a_callback_without_a_started_log_in_is_refused(oidc_app):
    app = oidc_app()
    client = app.test_client()
    assert_refusal(client.get("/login/callback?code=abc&state=def"), 400, "Inloggningen kunde inte slutföras")
    assert_not_logged_in(app, client)


def test_a_replayed_code_is_refused(oidc_app):
    app = oidc_app()
    victim = app.test_client()
    callback = _callback(victim, "karin")
    assert victim.get(_path(callback)).status_code == 302
    # The same callback again in the same browser: its log-in is done, nothing to match.
    assert_refusal(victim.get(_path(callback)), 400, "Inloggningen kunde inte slutföras")
    # An attacker with the code starts a log-in of their own and pastes the code under their own state:
    # the provider refuses a used code (and the PKCE verifier is not the code's).
    attacker = app.test_client()
    own = query(_start(attacker))
    r = attacker.get(f"/login/callback?code={query(callback)['code']}&state={own['state']}")
    assert_refusal(r, 400, "Inloggningen kunde inte slutföras")
    r = attacker.get("/")
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"


@pytest.mark.parametrize("client_id", ["portal-expired", "portal-wrong-audience"])
def test_an_expired_or_misaddressed_id_token_is_refused(oidc_app, client_id):
    app = oidc_app(client_id)
    client = app.test_client()
    assert_refusal(_log_in(client, "karin"), 502, "Inloggningen gick inte att kontrollera")
    assert_not_logged_in(app, client)


def _record_calls(app, monkeypatch) -> list[str]:
    """The URLs the portal asks the provider for, from now on (every outbound call goes through outbound.call)."""
    http = app.extensions["oidc"].http
    calls: list[str] = []
    original = outbound.call

    def call(session, method, url, *args, **kwargs):
        if session is http:
            calls.append(urlsplit(url).path)
        return original(session, method, url, *args, **kwargs)

    monkeypatch.setattr(outbound, "call", call)
    return calls


def test_an_unknown_key_is_refused_until_the_provider_publishes_it(tmp_path, demo_world, monkeypatch):
    # A provider of its own: publishing the key changes what it serves.
    provider = OpenIdProvider([registration("portal-unknown-kid", "http://localhost")])
    try:
        app = _app(tmp_path, demo_world, provider, "portal-unknown-kid")
        client = app.test_client()
        calls = _record_calls(app, monkeypatch)
        assert_refusal(_log_in(client, "karin"), 502, "Inloggningen gick inte att kontrollera")
        assert_not_logged_in(app, client)
        # The keys were fetched, and once more for the unknown kid; then refused.
        assert calls.count("/jwks") == 2 and calls.count("/.well-known/openid-configuration") == 1
        # The provider rotates its keys: the portal's cached keys lack the new one, so it fetches them once more.
        provider.rotate_keys()
        calls.clear()
        assert _log_in(client, "karin").status_code == 302
        assert text_of(page(client.get("/")).select_one(".site-header__user")) == "Karin Ström"
        assert calls.count("/jwks") == 1 and "/.well-known/openid-configuration" not in calls
    finally:
        provider.stop()


def test_discovery_and_keys_are_cached_between_log_ins(oidc_app, monkeypatch):
    app = oidc_app()
    calls = _record_calls(app, monkeypatch)
    for user in ("karin", "sara"):
        assert _log_in(app.test_client(), user).status_code == 302
    assert calls.count("/.well-known/openid-configuration") == 1 and calls.count("/jwks") == 1
    assert calls.count("/token") == 2


def test_too_low_a_level_of_assurance_is_refused(oidc_app):
    app = oidc_app()
    client = app.test_client()
    assert_refusal(_log_in(client, "lena"), 403, "Din e-legitimation är inte säker nog")
    assert_not_logged_in(app, client)


def test_a_missing_identity_claim_is_refused(oidc_app):
    app = oidc_app()
    client = app.test_client()
    assert_refusal(_log_in(client, "anon"), 403, "Ditt personnummer saknas")
    assert_not_logged_in(app, client)


def test_cancelled_at_the_provider(oidc_app):
    app = oidc_app()
    client = app.test_client()
    state = query(_start(client))["state"]
    r = client.get(f"/login/callback?error=access_denied&state={state}")
    assert_refusal(r, 400, "Inloggningen avbröts")
    assert_not_logged_in(app, client)


def test_provider_down_before_the_log_in(tmp_path, demo_world):
    app = _app(tmp_path, demo_world, f"http://127.0.0.1:{free_port()}")  # nobody listens there
    client = app.test_client()
    assert text_of(page(client.get("/login")).select_one("a#oidc-login"))  # the page itself needs no provider
    assert_refusal(client.get("/login/oidc"), 503, "E-legitimationstjänsten svarar inte")
    assert_not_logged_in(app, client)


def test_a_provider_that_never_answers_meets_the_deadline(tmp_path, demo_world):
    import socket
    import threading

    # A port that accepts connections and never says a word.
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        app = _app(tmp_path, demo_world, f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_s=0.5)
        client = app.test_client()
        assert_refusal(client.get("/login/oidc"), 503, "E-legitimationstjänsten svarar inte")
        assert_not_logged_in(app, client)
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_provider_down_at_the_code_exchange_leaves_nothing_half_logged_in(tmp_path, demo_world):
    provider = OpenIdProvider([registration("portal", "http://localhost")])
    try:
        app = _app(tmp_path, demo_world, provider)
        client = app.test_client()
        callback = _callback(client, "karin")
    finally:
        provider.stop()
    assert_refusal(client.get(_path(callback)), 503, "E-legitimationstjänsten svarar inte")
    assert_not_logged_in(app, client)


# --- log-out ----------------------------------------------------------------------------------------------------

def test_logout_ends_our_session_and_the_providers(oidc_app, openid_provider):
    app = oidc_app()
    client = app.test_client()
    browser = requests.Session()  # the same browser at the provider: its session there is what ends
    _log_in(client, "karin", browser)
    (row,) = _sessions(app)
    token = page(client.get("/")).select_one('header form[action="/logout"] input[name="csrf_token"]')["value"]
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302
    to = r.headers["Location"]
    assert to.startswith(openid_provider.issuer + "/session/end?")
    assert query(to) == {"id_token_hint": row["id_token"], "post_logout_redirect_uri": "http://localhost/login"}
    # Our side is over already, and the ended session keeps no ID token.
    assert_not_logged_in(app, client)
    assert [s["id_token"] for s in _sessions(app, f"nonce = '{row['nonce']}'")] == [None]
    # The provider asks whether to end its session too ("Yes, sign me out"), then sends the browser back to us.
    r = browser.get(to, timeout=10)
    assert r.status_code == 200
    confirm = BeautifulSoup(r.text, "html.parser").select_one("form")
    data = {i["name"]: i.get("value", "") for i in confirm.select("input[type=hidden]")} | {"logout": "yes"}
    r = browser.post(requests.compat.urljoin(to, confirm["action"]), data=data, allow_redirects=False, timeout=10)
    assert r.status_code in (302, 303) and r.headers["Location"].startswith("http://localhost/login")
    notices = [text_of(n) for n in page(client.get("/login")).select("main .notice")]
    assert "Du är utloggad." in notices
    # The provider's session is over: a new log-in there asks who you are again.
    r = browser.get(_start(app.test_client()), allow_redirects=False, timeout=10)
    assert "/interaction/" in r.headers["Location"]


def test_an_id_token_holding_the_number_is_never_put_in_the_log_out_url(oidc_app, openid_provider):
    # A broker that hands the person's claims out in the ID token itself: the log-in needs no userinfo, and the
    # log-out names us by client_id instead of sending the token (base64 is no protection in a URL).
    app = oidc_app("portal-identity-in-token")
    client = app.test_client()
    assert _log_in(client, "johan").status_code == 302
    assert text_of(page(client.get("/")).select_one(".site-header__user")) == "Johan Berg"
    token = page(client.get("/")).select_one('header form[action="/logout"] input[name="csrf_token"]')["value"]
    to = client.post("/logout", data={"csrf_token": token}).headers["Location"]
    assert to.startswith(openid_provider.issuer + "/session/end?")
    assert query(to) == {"client_id": "portal-identity-in-token", "post_logout_redirect_uri": "http://localhost/login"}
    assert_not_logged_in(app, client)


def test_forms_may_lead_to_the_provider_and_nowhere_else(oidc_app, openid_provider):
    # Chromium applies form-action to the redirect after the log-out form too.
    csp = oidc_app().test_client().get("/login").headers["Content-Security-Policy"]
    form_action = next(d for d in csp.split(";") if d.strip().startswith("form-action")).split()[1:]
    assert form_action == ["'self'", openid_provider.issuer]


# --- the mock e-ID only in demo and test mode -------------------------------------------------------------------

def test_outside_demo_mode_only_the_e_id_is_offered(tmp_path, demo_world, openid_provider):
    app = _app(tmp_path, demo_world, openid_provider, testing=False)
    client = app.test_client()
    soup = page(client.get("/login", base_url="https://localhost"))
    assert soup.select_one("a#oidc-login") is not None
    assert soup.select("input#personnummer") == [] and soup.select(".identity-list") == []
    r = client.post("/login", data={"personnummer": "198504124564"}, base_url="https://localhost")
    assert r.status_code == 503
    assert client.get("/", base_url="https://localhost").status_code == 302
