"""Languages: Swedish by default, English complete; choice in the session, else Accept-Language."""

from __future__ import annotations

import datetime as dt

from flask import Flask, g, request, session
from babel import dates as babel_dates
from jinja2 import pass_eval_context
from markupsafe import Markup
from flask_babel import get_locale, get_timezone, get_translations, gettext, ngettext

from portal.standard import clock

LOCALES = ("sv", "en")
DEFAULT = "sv"


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT


def translations():
    """This request's translations, looked up once per locale in force.

    flask-babel looks them up again for every string a template translates (several context-local look-ups
    each): on a page of cases that was a few hundred strings and a measurable share of the render.
    """
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None)
    cached = getattr(ctx, "portal_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    found = get_translations()  # also settles the locale (and creates the context) on first use
    ctx = g._flask_babel
    ctx.portal_translations = (getattr(ctx, "babel_locale", None), found)
    return found


def install_template_gettext(app: Flask) -> None:
    """The templates' ``_()``/``gettext()``/``ngettext()`` through :func:`translations` (after ``babel.init_app``).

    They do what Jinja's "newstyle" gettext does (the result is Markup when autoescaping, then always
    ``% variables``; ``ngettext`` also offers ``num``), in one call each: Jinja's own goes ``_`` -> alias ->
    wrapper -> our function, three context calls per string (each copying the context inside a loop that sets a
    variable), a third of the render of a long list.
    """
    env = app.jinja_env
    env.install_gettext_callables(  # sets the newstyle flag and the p-variants; the two below replace the rest
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


# A string without variables comes out the same for one catalog and autoescape setting: kept (a page of 300
# customers translates about 1,200 strings, most of them the same few).
_plain: dict[tuple, str] = {}
_PLAIN_MAX = 5000


@pass_eval_context  # not pass_context: Jinja would copy the whole context for each call inside a loop that sets a variable
def _template_gettext(__eval_ctx, __string: str, **variables):
    found = translations()
    if not variables:
        key = (found, __string, __eval_ctx.autoescape)
        rv = _plain.get(key)
        if rv is None:
            rv = found.ugettext(__string)
            if __eval_ctx.autoescape:
                rv = Markup(rv)
            rv = rv % variables
            if len(_plain) >= _PLAIN_MAX:
                _plain.clear()
            _plain[key] = rv
        return rv
    rv = found.ugettext(__string)
    if __eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables  # always a format string, as Jinja's newstyle gettext


@pass_eval_context
def _template_ngettext(__eval_ctx, __singular: str, __plural: str, __num: int, **variables):
    variables.setdefault("num", __num)
    rv = translations().ungettext(__singular, __plural, __num)
    if __eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


def locale_and_zone():
    """This request's babel locale, time zone and their names, looked up once per locale in force (as
    :func:`translations`)."""
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None)
    cached = getattr(ctx, "portal_locale_zone", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached
    found_locale, zone = get_locale(), get_timezone()
    found = (found_locale, zone, (str(found_locale), str(zone)))
    g._flask_babel.portal_locale_zone = found
    return found


def _local(value: dt.datetime, zone) -> dt.datetime:
    """As flask-babel's ``to_user_timezone``: naive means UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return zone.normalize(value.astimezone(zone))


# The filters below format as flask-babel's format_date/format_time/format_timedelta do, with the request's locale
# and zone looked up once; a day or a clock time is formatted once per locale and kept (a case page shows a few
# hundred time stamps, and babel's formatting was a quarter of its render). A moment is kept formatted too, per
# locale and zone: the same events are shown on every load of a page.
_formatted: dict[tuple, str] = {}
_FORMATTED_MAX = 20000
_moments: dict[tuple, str] = {}


def _keep(table: dict, key: tuple, text: str) -> str:
    """Keep ``text`` under ``key`` (the whole table is let go when it is full); returns ``text``."""
    if len(table) >= _FORMATTED_MAX:
        table.clear()
    table[key] = text
    return text


def _day(locale, day: dt.date, name: str) -> str:
    key = (name, day)
    text = _formatted.get(key)
    if text is None:
        text = _keep(_formatted, key, babel_dates.format_date(day, "medium", locale=locale))
    return text


def _clock(locale, moment: dt.datetime, name: str) -> str:
    key = (name, moment.hour, moment.minute)
    text = _formatted.get(key)
    if text is None:
        text = _keep(_formatted, key, babel_dates.format_time(dt.time(moment.hour, moment.minute), "short",
                                                              locale=locale))
    return text


def date(value: dt.date | dt.datetime | None) -> str:
    """A date as the locale writes it ("14 sep. 2026" / "14 Sep 2026")."""
    if value is None:
        return ""
    locale, zone, names = locale_and_zone()
    if isinstance(value, dt.datetime):
        # A moment's day is kept per zone, as datetime() keeps the moment: the zone conversion (pytz) cost more
        # than the formatting it saves.
        key = (names, value, "day")
        text = _moments.get(key)
        if text is None:
            text = _keep(_moments, key, _day(locale, _local(value, zone).date(), names[0]))
        return text
    return _day(locale, value, names[0])


def datetime(value: dt.datetime | None) -> str:
    """Date and time to the minute, in Swedish local time ("10 nov. 2026 11:00")."""
    if value is None:
        return ""
    locale, zone, names = locale_and_zone()
    key = (names, value)  # equal moments (the same instant, both aware or both naive) read the same in one zone
    text = _moments.get(key)
    if text is None:
        local = _local(value, zone)
        text = _keep(_moments, key, f"{_day(locale, local.date(), names[0])} {_clock(locale, local, names[0])}")
    return text


_AGO_THRESHOLD = 0.85
_agos: dict[tuple, str] = {}


def ago_key(seconds: float) -> tuple[str, int, bool]:
    """(unit, whole number, future) that babel's ``format_timedelta`` (granularity "second") words ``seconds`` by:
    its text is made from these alone, so one babel call per key serves every delta with the same key."""
    for unit, per_unit in babel_dates.TIMEDELTA_UNITS:
        value = abs(seconds) / per_unit
        if value >= _AGO_THRESHOLD or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            return unit, int(round(value)), seconds >= 0
    raise AssertionError("babel's units end with the second")


def time_ago(value: dt.datetime | None) -> str:
    """Relative time: "3 dagar sedan" / "3 days ago".

    Worded by babel once per locale and (unit, number, direction), then kept: a list of cases words one per case,
    and babel's call (locale data, plural rules, patterns) was the dearest thing in drawing a case card.
    """
    if value is None:
        return ""
    locale, _zone, names = locale_and_zone()
    delta = value - clock.now()
    key = (names[0], *ago_key(delta.total_seconds()))
    text = _agos.get(key)
    if text is None:
        text = _keep(_agos, key, babel_dates.format_timedelta(delta, "second", threshold=_AGO_THRESHOLD,
                                                              add_direction=True, locale=locale))
    return text


def iso_date(value) -> str:
    return value.isoformat() if value else ""


def iso_time(value) -> str:
    """Machine-readable time for ``<time datetime>``: whole seconds, as HTML allows."""
    return value.isoformat(timespec="seconds") if value else ""


def days_from_today(value: dt.date | None) -> str:
    """A deadline relative to today in Sweden: "i dag", "om 6 dagar", "2 dagar sedan"."""
    if value is None:
        return ""
    days = (value - clock.today()).days
    if days == 0:
        return gettext("today")
    if days > 0:
        return ngettext("in %(num)d day", "in %(num)d days", days)
    return ngettext("%(num)d day ago", "%(num)d days ago", -days)
