"""The query operation ``kundhandelseFragaSynkron``: its request and its semantics.

``parse_query`` turns a request body into a ``Query`` or raises ``QueryError``
(answered with 400 and ``{"message": ...}``). ``answer`` applies the query to a
producer's events exactly as the standard defines it: parts (kund, arende or
both, both must match), type prefixes, tags (any), inclusive Swedish-local
dates, multi-attribute sorting, totals before paging, paging that requires
sorting. Used by the mock producers and by the conformance kit alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from . import schemas
from .eventtypes import matches_any
from .models import Event, Part
from .tidpunkt import local_date

SORT_ATTRIBUTES = (
    "RUBRIK", "BESKRIVNING", "PRODUCENT", "TIDPUNKT", "KUNDHANDELSETYP",
    "PRODUCENTARENDETKRAVERKUNDATGARD", "PRODUCENTARENDETKLART",
)
MAX_PARTER = MAX_TYPER = MAX_TAGGAR = 100
MAX_LIMIT = 1000


class QueryError(ValueError):
    """A request the operation refuses; ``status`` is the HTTP code to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Query:
    parter: tuple[Part, ...]
    anvandare: str
    typer: tuple[str, ...] = ()
    taggar: tuple[str, ...] = ()
    start: dt.date | None = None
    slut: dt.date | None = None
    sortering: tuple[tuple[str, bool], ...] = ()  # (attribut, stigande)
    offset: int | None = None
    limit: int | None = None
    raw: dict | None = None

    def to_json(self) -> dict:
        """The request body for this query."""
        fraga: dict = {"parter": [p.to_json() for p in self.parter]}
        if self.typer:
            fraga["kundhandelseTyper"] = list(self.typer)
        if self.taggar:
            fraga["taggar"] = list(self.taggar)
        if self.start:
            fraga["startDatum"] = self.start.isoformat()
        if self.slut:
            fraga["slutDatum"] = self.slut.isoformat()
        behandling: dict = {}
        if self.sortering:
            behandling["sortering"] = [{"attribut": a, "stigande": s} for a, s in self.sortering]
        if self.limit is not None:
            behandling["paginering"] = {"offset": self.offset or 0, "limit": self.limit}
        if behandling:
            fraga["behandling"] = behandling
        return {"fraga": fraga, "anvandare": self.anvandare}


def parse_query(body) -> Query:
    """Validate a request body; raises QueryError with a message naming the field."""
    if not isinstance(body, dict):
        raise QueryError("the request body must be a JSON object")
    found = schemas.problems("fraga", body)
    if found:
        raise QueryError("invalid request: " + "; ".join(found[:5]))
    fraga = body["fraga"]
    start = _date(fraga.get("startDatum"), "startDatum")
    slut = _date(fraga.get("slutDatum"), "slutDatum")
    if start and slut and start > slut:
        raise QueryError("startDatum is after slutDatum")
    behandling = fraga.get("behandling", {})
    sortering = tuple((s["attribut"], s.get("stigande", True)) for s in behandling.get("sortering", []))
    paginering = behandling.get("paginering")
    if paginering is not None and not all(type(paginering[k]) is int for k in ("offset", "limit")):
        # JSON Schema counts 2.0 as an integer; Python slicing does not.
        raise QueryError("paginering.offset and paginering.limit must be whole numbers without a decimal point")
    if paginering is not None and not sortering:
        raise QueryError("paginering requires sortering: give behandling.sortering so that pages are stable")
    return Query(
        parter=tuple(Part.from_json(p) for p in fraga["parter"]),
        anvandare=body["anvandare"],
        typer=tuple(fraga.get("kundhandelseTyper", ())),
        taggar=tuple(fraga.get("taggar", ())),
        start=start,
        slut=slut,
        sortering=sortering,
        offset=paginering["offset"] if paginering else None,
        limit=paginering["limit"] if paginering else None,
        raw=body,
    )


def _date(value, name) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name} is not a valid date (YYYY-MM-DD)") from None


def matches(event: Event, part: Part, query: Query) -> bool:
    """True when ``event`` answers ``query`` for the asked ``part`` (before paging)."""
    if not part.covers(event.part):
        return False
    if query.typer and not matches_any(event.typ, query.typer):
        return False
    if query.taggar and not set(query.taggar) & set(event.taggar):
        return False
    if query.start or query.slut:
        day = local_date(event.tidpunkt)
        if query.start and day < query.start:
            return False
        if query.slut and day > query.slut:
            return False
    return True


# Swedish alphabetical order: å, ä, ö after z (Unicode puts ä before å, and all three before z
# only by accident of code points); é sorts as e and ü as y. The three characters after "z" in
# ASCII ("{", "|", "}") keep å < ä < ö and put them after every word starting with z.
_SWEDISH = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}", "é": "e", "è": "e", "ü": "y"})


def swedish_key(text: str) -> str:
    """A sort key for Swedish text: case-insensitive, å ä ö last."""
    return text.casefold().translate(_SWEDISH)


_KEYS = {
    "RUBRIK": lambda e: swedish_key(e.rubrik),
    "BESKRIVNING": lambda e: swedish_key(e.beskrivning),
    "PRODUCENT": lambda e: swedish_key(e.producent),
    "TIDPUNKT": lambda e: e.tidpunkt,
    "KUNDHANDELSETYP": lambda e: e.typ,
    "PRODUCENTARENDETKRAVERKUNDATGARD": lambda e: e.kraver_kundatgard,
    "PRODUCENTARENDETKLART": lambda e: e.klart,
}


def sort_events(events: list[Event], sortering) -> list[Event]:
    """Sort by each (attribut, stigande) in turn; without sorting, newest first.

    Ties always fall back to newest first, then ``kundhandelseId``, so a page
    boundary never moves between two identical queries.
    """
    ordered = sorted(events, key=lambda e: e.kundhandelse_id)
    ordered.sort(key=lambda e: e.tidpunkt, reverse=True)
    for attribut, stigande in reversed(tuple(sortering)):
        ordered.sort(key=_KEYS[attribut], reverse=not stigande)
    return ordered


def select(events: Iterable[Event], part: Part, query: Query) -> tuple[int, list[Event]]:
    """(total before paging, the page) for one asked part."""
    hits = sort_events([e for e in events if matches(e, part, query)], query.sortering)
    total = len(hits)
    if query.limit is not None:
        start = query.offset or 0
        hits = hits[start:start + query.limit]
    return total, hits


def answer(events: Iterable[Event], query: Query, *, producent: str, onskat_sprak: str = "sv",
           render=Event.answer_json) -> dict:
    """The full response body for ``query`` over one producer's ``events``, as the reference producer answers.

    Events carry no ``part`` or ``taggar`` (each group's ``part`` says whom they are about); ``metadata``
    is a flat echo of ``fraga`` plus ``onskatSprak``. ``render`` turns an event into JSON; a producer
    passes its own to offer translated texts for the asked language.
    """
    events = list(events)
    kundhandelser, delfragor = [], []
    for part in query.parter:
        total, page = select(events, part, query)
        kundhandelser.append({
            "part": part.to_json(),
            "totaltAntalKundhandelser": total,
            "kundhandelserForPart": [render(e) for e in page],
        })
        delfragor.append({"producent": producent, "part": part.to_json(), "status": "OK", "httpCode": 200})
    return {
        "kundhandelser": kundhandelser,
        "metadata": metadata(query, onskat_sprak),
        "delfragor": delfragor,
    }


def metadata(query: Query, onskat_sprak: str) -> dict:
    """An answer's ``metadata``: the asked ``fraga``, flat, plus the language asked for."""
    fraga = (query.raw or query.to_json())["fraga"]
    return {**fraga, "onskatSprak": onskat_sprak}


def preferred_language(accept_language: str | None, offered=("sv", "en")) -> str:
    """The first language of ``offered`` named in an Accept-Language header, by q-value; ``sv`` otherwise."""
    if not accept_language:
        return offered[0]
    choices = []
    for i, item in enumerate(accept_language.split(",")[:20]):
        lang, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        choices.append((-q, i, lang.strip().lower().split("-")[0]))
    for neg_q, _, lang in sorted(choices):
        if neg_q < 0 and lang in offered:
            return lang
    return offered[0]
