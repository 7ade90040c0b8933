"""Languages: Swedish by default, English complete; choice in the session, else Accept-Language."""

from __future__ import annotations

import datetime as dt

from flask import request, session
from flask_babel import format_date, format_time, format_timedelta, gettext, ngettext

from portal.standard import clock

LOCALES = ("sv", "en")
DEFAULT = "sv"


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT


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
