"""Fuzzing what users type and send: never a 500, never an unescaped string, a clear 400 for bad input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webtools import KARIN, csrf_token, login, page

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MARK = "<zz-fuzz>"  # a tag no template uses: if it shows up as a tag, something was not escaped
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
# What plain text rarely hits: digits that are not ASCII ("²", "①", "٣": isdigit() is true, int() may refuse),
# dates at the ends of the calendar, control characters (CR/LF in a header), very long digit runs.
odd_digits = st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=6)
extreme_dates = st.one_of(st.dates().map(str), st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-29"]))
controls = st.text(st.characters(categories=("Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=5)
hostile = st.one_of(text, text.map(lambda t: MARK + t), odd_digits, extreme_dates, controls,
                    st.tuples(text, controls, text).map("".join), st.sampled_from(
    ["<script>alert(1)</script>", "\" onmouseover=\"x", "'; drop table events; --", "../../etc/passwd",
     "%00", "javascript:alert(1)", "\u202e", "𝕏" * 50, "1" * 5000, "²", "①", "/\r\nSet-Cookie: x=1"]))


def logged_in(client):
    """Log in once per test client (hypothesis reuses the function's fixtures for every example)."""
    if not getattr(client, "fuzz_logged_in", False):
        login(client, KARIN)
        client.fuzz_logged_in = True
    return client


def assert_safe(response):
    assert response.status_code < 500, response.status_code
    if response.mimetype == "text/html":
        soup = page(response)
        assert not soup.find("zz-fuzz")
        assert not [s for s in soup.find_all("script") if not s.get("src")]


@FUZZ
@given(value=hostile)
def test_login_field(make_app, value):
    app = getattr(make_app, "fuzz_app", None) or make_app(login_rate_limit="100000 per minute")
    make_app.fuzz_app = app
    client = app.test_client()
    r = client.post("/login", data={"personnummer": value, "csrf_token": csrf_token(client)})
    assert_safe(r)
    assert r.status_code in (302, 400)
    if r.status_code == 400:
        assert page(r).select_one(".field__error").get_text(strip=True)


@FUZZ
@given(value=hostile)
def test_demo_login_button_index(make_app, value):
    app = getattr(make_app, "fuzz_app", None) or make_app(login_rate_limit="100000 per minute")
    make_app.fuzz_app = app
    client = app.test_client()
    r = client.post("/login", data={"demo": value, "csrf_token": csrf_token(client)})
    assert_safe(r)
    assert r.status_code in (302, 400)


@FUZZ
@given(target=hostile)
def test_language_link_next(client, target):
    r = client.get("/sprak/en", query_string={"next": "/" + target})
    assert_safe(r)
    assert r.status_code == 302
    assert "\n" not in r.headers["Location"] and "\r" not in r.headers["Location"]


@FUZZ
@given(q=hostile, status=hostile, producer=hostile, situation=hostile, start=hostile, end=hostile)
def test_filters_and_search(client, q, status, producer, situation, start, end):
    logged_in(client)
    r = client.get("/", query_string={"q": q, "status": status, "producer": producer, "situation": situation,
                                      "from": start, "to": end})
    assert_safe(r)
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert page(r).select_one(".error-summary li").get_text(strip=True)
    swap = client.get("/", query_string={"q": q}, headers={"HX-Request": "true"})
    assert_safe(swap)


@FUZZ
@given(handle=hostile)
def test_party_handles_and_case_handles(client, handle):
    logged_in(client)
    r = client.post("/act-as", data={"party": handle, "csrf_token": csrf_token(client, "/")})
    assert_safe(r)
    assert r.status_code in (400, 403)
    case = client.get("/arende/" + handle.replace("/", "%2F").replace("?", "%3F").replace("#", "%23"))
    assert_safe(case)
    # Werkzeug merges the slashes of "/arende//x" with a 308: a slash in a handle is never a case.
    assert case.status_code in ((308, 400, 404) if "/" in handle else (400, 404))
