"""Web tests: the portal through Flask's test client, talking to the mock world on a real port."""

from __future__ import annotations

import pytest
from flask import Flask

from mockworld import MockWorld
from oidcprovider import OpenIdProvider, registration
from pagecheck import CheckedClient
from portal import create_app
from webtools import portal_config


@pytest.fixture(autouse=True)
def checked_pages(monkeypatch):
    """Every test client here (the ``client`` fixture's and any a test makes) checks the structure of each HTML
    answer it gets (pagecheck.py): a page that breaks a rule fails whichever test fetched it."""
    monkeypatch.setattr(Flask, "test_client_class", CheckedClient)


@pytest.fixture()
def make_app(tmp_path, demo_world):
    def factory(**settings):
        return create_app({"TESTING": True, "PORTAL": portal_config(tmp_path, demo_world.url, **settings)})
    return factory


@pytest.fixture()
def app(make_app):
    return make_app()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def private_world():
    """A mock world of this test's own (demo data), for tests that set faults, change events or the registry."""
    w = MockWorld()
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture()
def make_private_app(tmp_path, private_world):
    """Like ``make_app``, but against ``private_world``."""
    def factory(**settings):
        return create_app({"TESTING": True, "PORTAL": portal_config(tmp_path, private_world.url, **settings)})
    return factory


@pytest.fixture(scope="session")
def openid_provider():
    """The real OpenID provider (npm oidc-provider), with a client for the Flask test client's http://localhost
    and one per twisted ID token (tests/oidc/provider.js)."""
    provider = OpenIdProvider([registration(c, "http://localhost") for c in
                               ("portal", "portal-expired", "portal-wrong-audience", "portal-unknown-kid",
                                          "portal-identity-in-token")])
    yield provider
    provider.stop()


@pytest.fixture()
def smtp_sink():
    """A real SMTP server on a loopback port that keeps every message it accepts (tests/smtpsink.py)."""
    from smtpsink import SmtpSink

    sink = SmtpSink()
    try:
        yield sink
    finally:
        sink.stop()
