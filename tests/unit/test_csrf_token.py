"""The signed CSRF token kept per session secret (portal/csrf_token.py), on a bare Flask app with flask-wtf."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask, render_template_string, session
from flask_wtf.csrf import CSRFProtect, validate_csrf
from itsdangerous import TimestampSigner

from portal import csrf_token


@pytest.fixture()
def app(monkeypatch):
    # Each signing gets a later second, so a token signed anew always differs from the one before.
    stamps = itertools.count(1_800_000_000)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(stamps))
    csrf_token.forget()
    made = Flask(__name__)
    made.config.update(SECRET_KEY="unit-secret-0123456789abcdef", WTF_CSRF_TIME_LIMIT=None)
    CSRFProtect(made)
    csrf_token.install(made)
    yield made
    csrf_token.forget()


def _token(app, secret: str | None) -> str:
    """One request of the session whose CSRF secret is ``secret`` (None: a session that has none yet)."""
    with app.test_request_context("/"):
        if secret is not None:
            session["csrf_token"] = secret
        made = render_template_string("{{ csrf_token() }}")  # as a page asks for it
        assert app.jinja_env.globals["csrf_token"]() == made  # the same within a request
        validate_csrf(made)  # and flask-wtf accepts it for this session
        return made


def test_one_session_one_token_another_session_its_own(app):
    first = [_token(app, "a" * 40) for _ in range(3)]
    assert len(set(first)) == 1
    other = _token(app, "b" * 40)
    assert other != first[0]
    assert _token(app, "a" * 40) == first[0]


def test_the_token_of_one_session_does_not_validate_in_another(app):
    token = _token(app, "a" * 40)
    with app.test_request_context("/"):
        session["csrf_token"] = "b" * 40
        with pytest.raises(Exception, match="do not match"):
            validate_csrf(token)


def test_a_session_without_a_secret_gets_one_and_a_token_for_it(app):
    with app.test_request_context("/"):
        made = app.jinja_env.globals["csrf_token"]()
        secret = session["csrf_token"]
        validate_csrf(made)
    assert _token(app, secret) == made  # that session's next request: the same token


def test_another_app_secret_signs_anew(app):
    before = _token(app, "a" * 40)
    app.config["SECRET_KEY"] = app.secret_key = "another-secret-0123456789abcdef"
    after = _token(app, "a" * 40)
    assert after != before


def test_with_a_time_limit_every_request_signs_anew(app):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    tokens = [_token(app, "a" * 40) for _ in range(3)]
    assert len(set(tokens)) == 3


def test_the_table_is_bounded(app, monkeypatch):
    monkeypatch.setattr(csrf_token, "_MAX", 5)
    for n in range(12):
        _token(app, f"{n:040d}")
        assert len(csrf_token._signed) <= 5
