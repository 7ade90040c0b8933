"""Languages: Swedish by default, English complete; choice in the session, else Accept-Language."""

from __future__ import annotations

import datetime as dt

from flask import Flask, g, request, session
from flask_babel import format_date, format_time, format_timedelta, get_translations

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
    """The templates' ``_()``/``ngettext()`` through :func:`translations` (after ``babel.init_app``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


def date(value: dt.date | dt.datetime | None) -> str:
    """A date as the locale writes it ("14 sep. 2026" / "14 Sep 2026")."""
    if value is None:
        return ""
    return format_date(value, "medium")


def datetime(value: dt.datetime | None) -> str:
    """Date and time to the minute, in Swedish local time ("10 nov. 2026 11:00")."""
    if value is None:
        return ""
    return f"{format_date(value, 'medium')} {format_time(value, 'short')}"


def time_ago(value: dt.datetime | None) -> str:
    """Relative time: "3 dagar sedan" / "3 days ago"."""
    if value is None:
        return ""
    return format_timedelta(value - clock.now(), add_direction=True)


def iso_date(value) -> str:
    return value.isoformat() if value else ""


def iso_time(value) -> str:
    """Machine-readable time for ``<time datetime>``: whole seconds, as HTML allows."""
    return value.isoformat(timespec="seconds") if value else ""
