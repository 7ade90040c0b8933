"""The templates' ``_()`` and ``ngettext()``: translated in the request's language, variables escaped, ``%%`` a
percent sign, as Jinja's newstyle gettext does (the portal installs its own, cheaper, callables)."""

from __future__ import annotations

import pytest
from flask import render_template_string


@pytest.fixture
def app(empty_database):
    from portal import create_app
    from portal.config import load

    return create_app({"TESTING": True, "PORTAL": load(env={"PORTAL_DATABASE": empty_database}, testing=True)})


def render(app, language: str, source: str, **context) -> str:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return render_template_string(source, **context)


def test_a_string_is_translated_in_each_requests_language_in_turn(app):
    source = '{{ _("Deadline") }}|{{ gettext("Agency") }}'
    assert render(app, "sv", source) == "Sista dag|Myndighet"
    assert render(app, "en", source) == "Deadline|Agency"
    assert render(app, "sv", source) == "Sista dag|Myndighet"


def test_variables_are_escaped_and_the_translation_is_not(app):
    out = render(app, "sv", '{{ _("Open the case at %(agency)s", agency=name) }}', name='<b>"A&B"</b>')
    assert out == "Öppna ärendet hos &lt;b&gt;&#34;A&amp;B&#34;&lt;/b&gt;"


def test_a_string_is_always_a_format_string(app):
    # As Jinja's newstyle gettext: "%%" is a percent sign with or without variables, also when rendered again.
    for _ in range(2):
        assert render(app, "en", '{{ _("100%% of %(what)s", what="it") }} {{ _("100%% sure") }}') == "100% of it 100% sure"


def test_plural_forms_offer_num_and_escape_variables(app):
    assert render(app, "sv", '{{ ngettext("%(num)d new", "%(num)d new", 1) }}, {{ ngettext("%(num)d new", "%(num)d new", 3) }}') == "1 ny, 3 nya"
    assert render(app, "en", '{{ ngettext("%(num)d new", "%(num)d new", n) }}', n=2) == "2 new"


def test_inside_a_loop_that_sets_a_variable(app):
    source = '{% for x in xs %}{% set y = x %}{{ _("Agency") }}:{{ y }};{% endfor %}'
    assert render(app, "sv", source, xs=["<a>", "b"]) == "Myndighet:&lt;a&gt;;Myndighet:b;"


def test_a_moments_day_reads_as_flask_babel_writes_it_in_each_language_also_when_kept(app):
    """``|date`` of a moment keeps its text per language and zone: the kept text is the day flask-babel gives in
    Stockholm (across midnight and the clock changes), naive moments being UTC, in each request's language."""
    import datetime as dt

    from flask_babel import format_date

    utc = dt.timezone.utc
    moments = [dt.datetime(2026, 3, 28, 21, 0, tzinfo=utc) + dt.timedelta(minutes=37 * i) for i in range(120)]
    moments += [dt.datetime(2026, 10, 24, 21, 0, tzinfo=utc) + dt.timedelta(minutes=37 * i) for i in range(120)]
    moments += [dt.datetime(2026, 11, 30, 22, 59), dt.datetime(2026, 11, 30, 23, 0)]  # naive: UTC
    for language in ("sv", "en", "sv"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            source = "{% for m in moments %}{{ m|date }};{% endfor %}"
            expected = "".join(format_date(m if m.tzinfo else m.replace(tzinfo=utc)) + ";" for m in moments)
            assert render_template_string(source, moments=moments) == expected
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        assert render_template_string("{{ a|date }}|{{ b|date }}", a=moments[-2], b=moments[-1]) == \
            "30 nov. 2026|1 dec. 2026"
