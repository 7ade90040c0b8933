"""``{% keep %}`` (``portal/fragments.py``, issue 16): a kept fragment is what its body would draw now, for values
equal to the ones it was drawn for, in the page's language; anything else draws it again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from flask import render_template, render_template_string
from markupsafe import Markup

from portal import fragments
from portal.filters import Filters
from portal.standard.ballholder import BallHolder
from portal.sync import ProducerStatus


@pytest.fixture
def app(empty_database):
    from portal import create_app
    from portal.config import load

    fragments.forget()
    yield create_app({"TESTING": True, "PORTAL": load(env={"PORTAL_DATABASE": empty_database}, testing=True)})
    fragments.forget()


_compiled: dict = {}


def render(app, source: str, language: str = "sv", **context) -> str:
    """``source`` compiled once per app (as a template file is), drawn in a request in ``language``."""
    template = _compiled.get((app, source))
    if template is None:
        template = _compiled[(app, source)] = app.jinja_env.from_string(source)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        app.update_template_context(context)
        return template.render(context)


@dataclasses.dataclass
class Box:
    a: object
    b: object = None


KEPT = "{% keep box %}{{ box.a }}|{{ box.b }}|{{ _('Agency') }}{% endkeep %}"


def test_equal_values_give_the_kept_fragment_and_changed_ones_a_new_drawing(app):
    box = Box(1, [2, 3])
    assert render(app, KEPT, box=box) == "1|[2, 3]|Myndighet"
    assert len(fragments._kept) == 1
    assert render(app, KEPT, box=Box(1, [2, 3])) == "1|[2, 3]|Myndighet"  # an equal box: from the table
    assert len(fragments._kept) == 1
    box.b.append(4)  # the same box, changed inside a list: another key
    assert render(app, KEPT, box=box) == "1|[2, 3, 4]|Myndighet"
    box.a = 9
    assert render(app, KEPT, box=box) == "9|[2, 3, 4]|Myndighet"
    assert len(fragments._kept) == 3


def test_each_language_and_each_tag_has_its_own_fragments(app):
    box = Box("x")
    assert render(app, KEPT, "sv", box=box) == "x|None|Myndighet"
    assert render(app, KEPT, "en", box=box) == "x|None|Agency"
    two = "{% keep box %}A{{ box.a }}{% endkeep %}{% keep box %}B{{ box.a }}{% endkeep %}"
    assert render(app, two, box=box) == "AxBx"


@pytest.mark.parametrize("first, second", [
    ("<b>", Markup("<b>")),  # equal as strings, drawn apart (escaped or not)
    (1, True), (1, 1.0), (0, None), (dt.date(2026, 1, 1), dt.datetime(2026, 1, 1)),
    ([1, 2], [2, 1]), ({"a": 1}, {"a": 2}),
    (BallHolder.CUSTOMER, BallHolder.PRODUCER),
])
def test_values_drawn_differently_are_kept_apart(app, first, second):
    source = "{% keep v %}{{ v }}{% endkeep %}"
    assert render(app, source, v=first) == render_template_string_unkept(app, "{{ v }}", first)
    assert render(app, source, v=second) == render_template_string_unkept(app, "{{ v }}", second)
    assert fragments.comparable(first) != fragments.comparable(second)


def render_template_string_unkept(app, source, value) -> str:
    with app.test_request_context("/"):
        return str(render_template_string(source, v=value))


def test_an_object_of_no_known_kind_is_drawn_every_time(app):
    class Thing:  # hashed by identity: it could change and still hash the same
        def __init__(self):
            self.text = "before"

        def __str__(self):
            return self.text

    thing = Thing()
    source = "{% keep t %}{{ t }}{% endkeep %}"
    assert render(app, source, t=thing) == "before"
    thing.text = "after"
    assert render(app, source, t=thing) == "after"
    assert fragments._kept == {}
    with pytest.raises(fragments.Unkeepable):
        fragments.comparable([1, Thing()])


def test_a_frozen_dataclass_counts_by_its_fields():
    assert fragments.comparable(Filters(status="customer")) == fragments.comparable(Filters(status="customer"))
    assert fragments.comparable(Filters(status="customer")) != fragments.comparable(Filters(status="producer"))


def status(slug="skatteverket", **changes) -> ProducerStatus:
    base = dict(slug=slug, name="Skatteverket", ok=True, asked=True,
                last_success_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc), failing_since=None,
                reason=None, invalid=0, foreign=0)
    base.update(changes)
    return ProducerStatus(**base)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize("changes, shown", [
    ({"ok": False, "failing_since": dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.timezone.utc)}, "har inte svarat sedan"),
    ({"invalid": 2}, "2 meddelanden"),
    ({"incomplete": True, "failed_behind": ("Länsstyrelsen",)}, "Inget svar från Länsstyrelsen"),
    ({"pending": True}, "väntar på svar"),
    ({"last_success_at": dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.timezone.utc)}, "3 nov. 2026"),
])
def test_the_agencies_list_follows_each_status_change(app, changes, shown):
    """The page's agencies list, kept: a change in any status shows at once (as drawn without keeping)."""
    def page(statuses):
        with app.test_request_context("/", headers={"Accept-Language": "sv"}):
            return text(render_template("partials/producer_status.html", statuses=statuses))

    before = page([status(), status("bolagsverket", name="Bolagsverket")])
    after = page([status(**changes), status("bolagsverket", name="Bolagsverket")])
    assert shown.casefold() not in before.casefold() and shown.casefold() in after.casefold()
    fragments.forget()
    assert page([status(**changes), status("bolagsverket", name="Bolagsverket")]) == after


def test_the_filter_form_shows_the_filters_in_force(app):
    from portal.config import load
    cfg = load(testing=True)

    def form(filters):
        with app.test_request_context("/", headers={"Accept-Language": "sv"}):
            return render_template("partials/filter_form.html", filters=filters, producer_choices=cfg.producers[:3],
                                   situation_choices=cfg.situations)

    plain = form(Filters())
    chosen = form(Filters(status="customer", producer=cfg.producers[1].slug, q="<tillstånd>"))
    assert 'value="customer" selected' not in plain and 'value="customer" selected' in chosen
    assert f'value="{cfg.producers[1].slug}" selected' in chosen
    assert 'value="&lt;tillstånd&gt;"' in chosen and "Rensa filter" in chosen and "Rensa filter" not in plain
    assert form(Filters()) == plain


def test_the_table_is_bounded_by_entries_and_by_size(app, monkeypatch):
    source = "{% keep v %}{{ v }}{% endkeep %}"
    monkeypatch.setattr(fragments, "_MAX", 3)
    for v in ("a", "b", "c"):
        render(app, source, v=v)
    assert len(fragments._kept) == 3
    render(app, source, v="d")
    assert list(fragments._kept.values()) == ["d"]
    fragments.forget()
    monkeypatch.setattr(fragments, "_MAX", 5000)
    monkeypatch.setattr(fragments, "_MAX_CHARS", 25)
    render(app, source, v="x" * 10)
    render(app, source, v="y" * 10)
    assert len(fragments._kept) == 2
    assert render(app, source, v="z" * 10) == "z" * 10  # 30 characters would be too many: the table starts over
    assert list(fragments._kept.values()) == ["z" * 10]
