"""A session's pages carry one signed CSRF token (portal/csrf_token.py); its forms take it, other sessions do not."""

from __future__ import annotations

import itertools

import pytest
from itsdangerous import TimestampSigner

from webtools import EVA, csrf_token, login, page


@pytest.fixture(autouse=True)
def later_second_each_signing(monkeypatch):
    """Each signing gets a later second: a token signed anew for a page would differ from the one before."""
    stamps = itertools.count(1_800_000_000)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(stamps))


def _tokens(client, path: str = "/") -> set[str]:
    """Every CSRF token a page carries: its forms' fields and the htmx header on <body>."""
    soup = page(client.get(path))
    found = {i["value"] for i in soup.select('input[name="csrf_token"]')}
    found.add(soup.body["data-hx-headers"].split('"X-CSRFToken": "')[1].split('"')[0])
    return found


def _other_party(client) -> str:
    return page(client.get("/")).select("#party-select option")[1]["value"]


def test_a_sessions_pages_carry_one_token_and_its_forms_take_the_first(client):
    login(client, EVA)
    first = _tokens(client)
    assert len(first) == 1
    for path in ("/", "/kalender", "/"):
        assert _tokens(client, path) == first
    answer = client.post("/act-as", data={"party": _other_party(client), "csrf_token": first.pop()})
    assert answer.status_code == 302


def test_another_session_has_its_own_token_and_refuses_this_one(app):
    mine, theirs = app.test_client(), app.test_client()
    login(mine, EVA)
    login(theirs, EVA)
    token = csrf_token(mine, "/")
    assert token != csrf_token(theirs, "/")
    refused = theirs.post("/act-as", data={"party": _other_party(theirs), "csrf_token": token})
    assert refused.status_code == 400


def test_a_new_log_in_has_a_new_token_and_the_old_one_is_refused(client):
    login(client, EVA)
    old = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": old}).status_code in (302, 303)
    login(client, EVA)
    assert csrf_token(client, "/") != old
    refused = client.post("/act-as", data={"party": _other_party(client), "csrf_token": old})
    assert refused.status_code == 400
