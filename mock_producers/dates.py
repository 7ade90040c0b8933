"""Demo data that never goes stale: dates in the data files are moved to today at load.

A data file may name its ``referensdatum``: the day its dates were written for
("today" as the author saw it). At load every date in the file moves by the days
between that day and today on the shared clock (``portal.standard.clock``), so
the newest event stays a few days old and an open deadline stays ahead, in any
month. The files themselves stay readable, absolute, and valid against the
schemas; a file without ``referensdatum`` is served as written.

Moved: each event's ``tidpunkt`` (kept in the form it was written: RFC 3339 with
its offset, or local Swedish time) and ``utokadInformation.senastDatum``; in the
registry, each mandate's validity and revocation dates. Moving by whole days keeps
every "3 days ago" and "in 6 days" the author meant.
"""

from __future__ import annotations

import datetime as dt
import re

from portal.standard import clock, tidpunkt

REFERENCE_KEY = "referensdatum"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# Registry fields that hold a day or a moment (the contract's and our file's).
_REGISTRY_DATE_KEYS = ("giltigFrom", "giltigTom", "aterkallad", "skapadTidpunkt", "andradTidpunkt")


def shift_days(doc: dict, today: dt.date | None = None) -> int:
    """Days to move ``doc``'s dates by: today minus its ``referensdatum`` (0 without one).

    ValueError when ``referensdatum`` is not a date.
    """
    reference = doc.get(REFERENCE_KEY) if isinstance(doc, dict) else None
    if reference is None:
        return 0
    try:
        day = dt.date.fromisoformat(reference)
    except (TypeError, ValueError):
        raise ValueError(f"{REFERENCE_KEY} must be a date (YYYY-MM-DD), got {reference!r}") from None
    return ((today or clock.today()) - day).days


def shift_value(value, days: int):
    """A date or a tidpunkt moved by ``days``, in the form it was written; anything else unchanged."""
    if not days or not isinstance(value, str):
        return value
    if _DATE.match(value):
        try:
            return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
        except ValueError:
            return value  # not a real date: the schema check names it
    try:
        moment = tidpunkt.parse(value)
    except tidpunkt.InvalidTidpunkt:
        return value
    # N times 24 hours on (in UTC: adding to a Stockholm time would keep its wall time, which may not
    # exist on the new day); a local time is written again as Stockholm wall time, an offset as it was.
    moved = moment.astimezone(dt.timezone.utc) + dt.timedelta(days=days)
    if _LOCAL.match(value):
        return moved.astimezone(tidpunkt.STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S")
    return moved.astimezone(moment.tzinfo).isoformat()


def shift_event(raw, days: int):
    """A copy of one raw event (a JSON object) with its dates moved; non-objects unchanged."""
    if not days or not isinstance(raw, dict):
        return raw
    out = dict(raw)
    if "tidpunkt" in out:
        out["tidpunkt"] = shift_value(out["tidpunkt"], days)
    info = out.get("utokadInformation")
    if isinstance(info, dict) and "senastDatum" in info:
        out["utokadInformation"] = {**info, "senastDatum": shift_value(info["senastDatum"], days)}
    return out


def shift_registry(doc, days: int):
    """A copy of a registry document with every mandate's dates moved."""
    if not days or not isinstance(doc, dict):
        return doc
    out = dict(doc)
    if isinstance(doc.get("fullmakter"), list):
        out["fullmakter"] = [_shift_keys(f, days) for f in doc["fullmakter"]]
    return out


def _shift_keys(item, days: int):
    if not isinstance(item, dict):
        return item
    out = dict(item)
    for key in _REGISTRY_DATE_KEYS:
        if key in out:
            out[key] = shift_value(out[key], days)
    return out
