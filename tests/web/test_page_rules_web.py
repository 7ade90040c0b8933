"""Rules every page keeps: no identity number in any URL, one h1, unique ids."""

from __future__ import annotations

import re

import pytest

from webtools import (EVA, KARIN, OLLE, assert_page_structure, csrf_token, identity_numbers_in, login, page,
                      urls_on)


def _party_handles(soup):
    # Keyed by "name – basis": the counts after it change as the parties' cases are fetched.
    return [(o.get_text().split(": ")[0], o["value"]) for o in soup.select("#party-select option")]


def _visit_all(client, visit):
    """Every party the user may act for: the overview and each case page."""
    home = page(client.get("/"))
    visit("/", home)
    labels = [label for label, _ in _party_handles(home)] or [None]
    for label in labels:
        if label is not None:
            # Handles are re-issued at every switch (the session id rotates): read the current one.
            current = page(client.get("/"))
            handle = dict(_party_handles(current))[label]
            token = current.select_one('.party-form input[name="csrf_token"]')["value"]
            r = client.post("/act-as", data={"party": handle, "csrf_token": token})
            assert r.status_code == 302, label
            assert not identity_numbers_in(r.headers["Location"])
        overview = page(client.get("/"))
        visit("/", overview)
        for a in overview.select("main .case-card__title a"):
            r = client.get(a["href"])
            assert r.status_code == 200
            visit(a["href"], page(r))


@pytest.mark.parametrize("who", [KARIN, EVA], ids=["karin", "eva"])
def test_no_identity_number_in_any_url(client, who):
    login(client, who)
    pages = []

    def visit(path, soup):
        pages.append(path)
        for url in urls_on(soup):
            assert not identity_numbers_in(url), (path, url)
        assert not identity_numbers_in(path)

    _visit_all(client, visit)
    assert len(pages) > 10


@pytest.mark.parametrize("who", [KARIN, EVA, OLLE], ids=["karin", "eva", "olle"])
def test_every_page_has_one_h1_and_unique_ids(client, who):
    login(client, who)
    _visit_all(client, lambda path, soup: assert_page_structure(soup))


def test_other_pages_have_one_h1_and_unique_ids(client):
    assert_page_structure(page(client.get("/login")))
    token = csrf_token(client)
    assert_page_structure(page(client.post("/login", data={"personnummer": "123", "csrf_token": token})))
    login(client, KARIN)
    assert_page_structure(page(client.get("/arende/" + "f" * 20)))  # 404
    assert_page_structure(page(client.post("/act-as", data={"party": "x", "csrf_token": csrf_token(client, "/")})))
    client.get("/sprak/en")
    assert_page_structure(page(client.get("/")))


def test_case_handles_say_nothing_about_the_case(client):
    login(client, KARIN)
    soup = page(client.get("/"))
    for a in soup.select("main .case-card__title a"):
        assert re.fullmatch(r"/arende/[0-9a-f]{20}", a["href"]), a["href"]


def test_the_identity_number_check_is_not_vacuous():
    for url in ("/?pnr=198504124564", "/x/19850412-4564", "/x/850412-4564", "/org/5590001235", "/o/165590003454",
                "/p/199009090003"):
        assert identity_numbers_in(url), url
    assert not identity_numbers_in("/arende/3f2a9c0d1e4b5a6c7d8e")


def test_no_identity_number_in_log_lines(client, caplog):
    import logging
    caplog.set_level(logging.DEBUG)
    for who in (KARIN, EVA):
        login(client, who)
        _visit_all(client, lambda path, soup: None)
    client.post("/act-as", data={"party": "x" * 24, "csrf_token": csrf_token(client, "/")})  # a refusal is logged
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("login user=") for m in messages)
    assert any(m.startswith("act-as refused") for m in messages)
    for record in caplog.records:
        assert not identity_numbers_in(record.getMessage()), record.getMessage()
