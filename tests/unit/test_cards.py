"""The overview's case cards are kept once drawn (``portal/cards.py``, issue 16): a kept card must always be the card
Jinja would draw now, for the case as it is now, in the page's language, on the day it is shown."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from flask import render_template_string

from portal import fragments
from portal.case import CaseSummary, EventLine
from portal.standard import clock
from portal.standard.ballholder import BallHolder


@pytest.fixture
def app(empty_database):
    from portal import create_app
    from portal.config import load

    fragments.forget()
    yield create_app({"TESTING": True, "PORTAL": load(env={"PORTAL_DATABASE": empty_database}, testing=True)})
    fragments.forget()


def summary(**changes) -> CaseSummary:
    now = clock.now()
    base = dict(producer="skatteverket", producer_name="Skatteverket", key="K-1", handle="h4ndle1", title="Ansökan",
                latest_typ="ansokan.komplettering", first=EventLine("Ansökan mottagen", "sv", now - dt.timedelta(days=9)),
                latest=EventLine("Komplettera ansökan", "sv", now - dt.timedelta(days=3)),
                ball_holder=BallHolder.CUSTOMER, deadline=clock.today() + dt.timedelta(days=6), reference="SKV 1-2")
    base.update(changes)
    return CaseSummary(**base)


def listed(app, cases, language="sv") -> str:
    """The section list as the overview draws it (``case_list``)."""
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return str(render_template_string("{{ case_list(cases) }}", cases=cases))


def drawn(app, case, language="sv") -> str:
    """The card drawn by the macro itself, nothing kept."""
    with app.test_request_context("/", headers={"Accept-Language": language}):
        out = str(app.jinja_env.get_template("components/case.html").module.case_cards([case]))
    assert out.count("<!--card-->") == 1
    return out.split("<!--card-->")[1].strip()


def card_texts(html: str) -> list[str]:
    return re.findall(r'<li class="case-card .*?</li>', html, re.S)


def test_a_kept_card_is_the_card_jinja_draws(app):
    cases = [summary(), summary(key="K-2", handle="h4ndle2", unread=2, ball_holder=BallHolder.PRODUCER, deadline=None),
             summary(key="K-3", handle="h4ndle3", reference=None, twin=True, started=clock.now() - dt.timedelta(days=40),
                     ball_holder=BallHolder.CLOSED, deadline=None)]
    first = listed(app, cases)
    again = listed(app, cases)  # every card from the table now
    assert first == again
    assert card_texts(first) == [drawn(app, c) for c in cases]
    assert first.startswith('<ul class="case-list">') and first.endswith("</ul>")
    assert len(card_texts(first)) == 3


@pytest.mark.parametrize("field, value, shown", [
    ("unread", 2, "2 nya"),
    ("ball_holder", BallHolder.PRODUCER, "Myndigheten handlägger"),
    ("title", "Tillstånd för vattenbruk", "Tillstånd för vattenbruk"),
    ("reference", "SKV 9-9", "SKV 9-9"),
    ("producer_name", "Jordbruksverket", "Jordbruksverket"),
    ("handle", "0therhandle", "/arende/0therhandle"),
    ("latest", EventLine("Beslut fattat", "sv", None), "Beslut fattat"),
])
def test_a_case_that_changed_gets_a_new_card(app, field, value, shown):
    before = listed(app, [summary()])
    after = listed(app, [summary(**{field: value})])
    assert shown not in before and shown in after
    assert card_texts(after) == [drawn(app, summary(**{field: value}))]


def test_every_field_of_a_case_summary_is_part_of_what_a_card_is_kept_under(app):
    """A field added to CaseSummary later is in the key by itself: two summaries that differ in any one field are
    two table entries, so a card is never taken for a case it was not drawn for."""
    listed(app, [summary()])
    assert len(fragments._kept) == 1
    other = {"producer": "bolagsverket", "key": "K-9", "latest_typ": "annat", "twin": True,
             "first": EventLine("Annat", "en"), "started": clock.now()}
    for f in dataclasses.fields(CaseSummary):
        if f.name in other:
            listed(app, [summary(**{f.name: other[f.name]})])
    assert len(fragments._kept) == 1 + len(other)


def test_a_card_says_how_long_ago_and_how_many_days_are_left_as_of_the_day_it_is_shown(app, monkeypatch):
    case = summary()
    today = listed(app, [case])
    assert "(för 3 dagar sedan)" in today and "(om 6 dagar)" in today
    monkeypatch.setenv(clock.SHIFT_ENV, "2")  # two days on: the same case, drawn again
    later = listed(app, [case])
    assert "(för 5 dagar sedan)" in later and "(om 4 dagar)" in later
    assert card_texts(later) == [drawn(app, case)]


def test_each_language_gets_its_own_card(app):
    case = summary(unread=1)
    sv, en = listed(app, [case], "sv"), listed(app, [case], "en")
    assert "Myndighet" in sv and "1 ny" in sv and "Din tur" in sv
    assert "Agency" in en and "1 new" in en and "Your turn" in en
    assert listed(app, [case], "sv") == sv


def test_producer_text_stays_escaped_in_a_kept_card(app):
    case = summary(title='<script>alert("x")</script>', latest=EventLine("<b>Beslut</b>", "sv", clock.now()),
                   reference="<!--card--><i>R</i>")
    for _ in range(2):  # drawn, then from the table
        html = listed(app, [case, summary(key="K-2", handle="h4ndle2")])
        assert "<script>" not in html and "<b>" not in html and "<i>" not in html and "<!--card-->" not in html
        assert "&lt;script&gt;" in html and "&lt;b&gt;Beslut&lt;/b&gt;" in html and "&lt;!--card--&gt;" in html
        assert len(card_texts(html)) == 2


def test_cards_kept_and_drawn_in_one_list_keep_their_order(app):
    """Some cards from the table, the rest drawn in one call: each in its place."""
    cases = [summary(key=f"K-{i}", handle=f"h4ndle{i}", title=f"Ärende {i}") for i in range(5)]
    listed(app, [cases[1], cases[3]])
    html = listed(app, cases)
    assert [re.search(r"Ärende \d", c).group(0) for c in card_texts(html)] == [f"Ärende {i}" for i in range(5)]
    assert card_texts(html) == [drawn(app, c) for c in cases]


def test_the_table_is_let_go_when_full(app, monkeypatch):
    monkeypatch.setattr(fragments, "_MAX", 3)
    listed(app, [summary(key=f"K-{i}", handle=f"h{i}") for i in range(3)])
    assert len(fragments._kept) == 3
    listed(app, [summary(key="K-new", handle="hnew")])
    assert len(fragments._kept) == 1


def test_a_case_summary_field_that_cannot_be_a_key_leaves_the_card_drawn_every_time(app):
    """A field that is a list (not hashable) must not break the page: the card is drawn, not kept."""
    case = summary()
    case.reference = ["SKV", "1-2"]  # as a later field of a list would be
    first = listed(app, [case, summary(key="K-2", handle="h4ndle2")])
    assert len(card_texts(first)) == 2 and len(fragments._kept) == 1
    case.reference.append("3")
    assert "3" in card_texts(listed(app, [case]))[0].split("Referens")[1]
