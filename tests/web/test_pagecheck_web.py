"""The page-structure check: what it catches, and that every test client applies it without being asked."""

from __future__ import annotations

import pytest
from flask import Flask

from pagecheck import CheckedClient, PageStructureError, structure_problems
from webtools import KARIN, login

GOOD_PAGE = """<!doctype html><html lang="sv"><head><title>Översikt</title></head><body>
<main><h1>Dina ärenden</h1><h2>Din tur</h2><h3>Moms</h3><h2>Övriga</h2>
<form><label for="q">Sök</label><input id="q" name="q"><input type="hidden" name="csrf_token" value="x">
<label>Status <select name="status"></select></label></form></main></body></html>"""


def test_a_sound_page_and_a_sound_fragment_pass():
    assert structure_problems(GOOD_PAGE) == []
    assert structure_problems('<p id="result-count">3 ärenden.</p><h2>Din tur</h2><h3>Moms</h3>') == []


@pytest.mark.parametrize("html, problem", [
    (GOOD_PAGE.replace("<h2>Övriga</h2>", "<h1>Övriga</h1>"), "2 <h1> elements"),
    (GOOD_PAGE.replace("<main>", "<div>").replace("</main>", "</div>"), "0 <main> elements"),
    (GOOD_PAGE.replace(' lang="sv"', ""), "<html> has no lang"),
    (GOOD_PAGE.replace("<title>Översikt</title>", "<title> </title>"), "empty"),
    (GOOD_PAGE.replace("<h2>Din tur</h2>", ""), "<h3> 'Moms' follows an <h1>"),
    (GOOD_PAGE.replace('<label for="q">Sök</label>', ""), "<input name='q'> has no label"),
    ('<p id="a"></p><p id="a"></p>', "ids used more than once: ['a']"),
], ids=["two-h1", "no-main", "no-lang", "empty-title", "skipped-level", "unlabelled", "duplicate-id"])
def test_each_rule_is_caught(html, problem):
    found = structure_problems(html)
    assert any(problem in p for p in found), found


def test_every_test_client_checks_without_being_asked(client):
    assert isinstance(client, CheckedClient)
    app = Flask(__name__)  # not the portal: any app a web test makes
    app.add_url_rule("/bad", "bad", lambda: "<!doctype html><html lang='sv'><title>x</title><main></main></html>")
    app.add_url_rule("/moved", "moved", lambda: ("", 302, {"Location": "/bad"}))
    app.add_url_rule("/feed", "feed", lambda: ("<h1>a</h1><h1>b</h1>", 200, {"Content-Type": "text/calendar"}))
    test_client = app.test_client()
    with pytest.raises(PageStructureError, match=r"^GET /bad\?x=1 \(200\): 0 <h1> elements"):
        test_client.get("/bad?x=1")
    assert test_client.get("/moved").status_code == 302  # a redirect's stub body is no page
    assert test_client.get("/feed").status_code == 200  # nor is anything but HTML
    with pytest.raises(PageStructureError, match=r"^GET /bad \(200\)"):
        test_client.get("/moved", follow_redirects=True)


def test_a_wrong_method_gets_the_portals_own_error_page(client):
    login(client, KARIN)
    r = client.get("/logout")  # the check passing is half the point: it once got the framework's bare page
    assert r.status_code == 405
    assert "POST" in r.headers["Allow"]
    assert "Sidan kan inte användas så" in r.get_data(as_text=True)
