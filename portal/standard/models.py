"""Plain-Python models of the standard's objects: customer, case reference, part, event.

Models are built from schema-valid JSON (see ``schemas``) and turn back into the
standard's JSON with ``to_json``. They carry derived facts the consumer needs:
the ball holder, the case an event belongs to, its deadline and a safe link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import tidpunkt as tidpunkt_mod
from .ballholder import BallHolder, ball_holder
from .eventtypes import EventType


@dataclass(frozen=True)
class Kund:
    """``part.kund``: the person or organisation an event is about."""

    identifierare: str
    typ: str
    tillagg: str | None = None

    @classmethod
    def from_json(cls, obj: dict) -> "Kund":
        return cls(obj["identifierare"], obj["typ"], obj.get("tillagg"))

    def to_json(self) -> dict:
        out = {"identifierare": self.identifierare, "typ": self.typ}
        if self.tillagg is not None:
            out["tillagg"] = self.tillagg
        return out

    def covers(self, other: "Kund") -> bool:
        """Query semantics: same number and type; a ``tillagg`` in the query must match too.

        A query without ``tillagg`` covers every firm of the owner as well as the
        owner privately: a sole trader's firms are the same legal person.
        """
        if (self.identifierare, self.typ) != (other.identifierare, other.typ):
            return False
        return self.tillagg is None or self.tillagg == other.tillagg

    def __repr__(self) -> str:  # keep identity numbers out of logs and tracebacks
        return f"Kund(typ={self.typ!r}, identifierare='{self.identifierare[:8]}****')"


@dataclass(frozen=True)
class Arende:
    """``part.arende``: a reference to a case."""

    identifierare: str
    typ: str

    @classmethod
    def from_json(cls, obj: dict) -> "Arende":
        return cls(obj["identifierare"], obj["typ"])

    def to_json(self) -> dict:
        return {"identifierare": self.identifierare, "typ": self.typ}


@dataclass(frozen=True)
class Part:
    """``part``: a customer, a case reference, or both."""

    kund: Kund | None = None
    arende: Arende | None = None

    @classmethod
    def from_json(cls, obj: dict) -> "Part":
        return cls(
            Kund.from_json(obj["kund"]) if "kund" in obj else None,
            Arende.from_json(obj["arende"]) if "arende" in obj else None,
        )

    def to_json(self) -> dict:
        out = {}
        if self.kund is not None:
            out["kund"] = self.kund.to_json()
        if self.arende is not None:
            out["arende"] = self.arende.to_json()
        return out

    def covers(self, event_part: "Part") -> bool:
        """Query semantics: every component this (query) part names must match the event's."""
        if self.kund is not None and (event_part.kund is None or not self.kund.covers(event_part.kund)):
            return False
        if self.arende is not None and self.arende != event_part.arende:
            return False
        return self.kund is not None or self.arende is not None


class _kept:
    """A value derived from the fields, computed on first read and kept in the instance (as
    ``functools.cached_property``, without its lock: two threads computing it at once get the same value)."""

    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)  # frozen forbids setattr, not the instance's dict
        return value


@dataclass(frozen=True)
class Event:
    """One kundhändelse. ``tidpunkt`` is always an aware datetime.

    The derived values (``ball_holder``, ``case_key``, ``reference``, ``deadline``, ``link``) are pure functions of
    the fields, computed on first use and kept: a case page reads them several times for each of hundreds of events.
    """

    kundhandelse_id: str
    part: Part
    rubrik: str
    producent: str
    tidpunkt: dt.datetime
    typ: str
    kraver_kundatgard: bool
    klart: bool
    version: str
    beskrivning: str = ""
    sprak: str = "sv"
    utokad_information: object = None  # any JSON value (usually an object); None when absent
    referenser: object = None  # any JSON value (usually an object); None when absent
    taggar: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, obj: dict, part: Part | None = None) -> "Event":
        """Build from a schema-valid event; raises ``InvalidTidpunkt`` for an impossible time.

        ``part`` is the answer group's part, for events that carry none of their own (as in
        every real answer); an event's own ``part`` wins when it has one.
        """
        if "part" in obj:
            part = Part.from_json(obj["part"])
        elif part is None:
            raise ValueError("the event names no part and none was given")
        return cls(
            kundhandelse_id=obj["kundhandelseId"],
            part=part,
            rubrik=obj["rubrik"],
            producent=obj["producent"],
            tidpunkt=tidpunkt_mod.parse(obj["tidpunkt"]),
            typ=obj["kundhandelseTyp"],
            kraver_kundatgard=obj["producentarendetKraverKundatgard"],
            klart=obj["producentarendetKlart"],
            version=obj["version"],
            beskrivning=obj.get("beskrivning", ""),
            sprak=obj.get("sprak", "sv"),
            utokad_information=obj.get("utokadInformation"),
            referenser=obj.get("referenser"),
            taggar=tuple(obj.get("taggar", ())),
        )

    def to_json(self) -> dict:
        """The event in the standard's format, ``tidpunkt`` as RFC 3339."""
        out = {
            "kundhandelseId": self.kundhandelse_id,
            "part": self.part.to_json(),
            "rubrik": self.rubrik,
            "beskrivning": self.beskrivning,
            "sprak": self.sprak,
            "producent": self.producent,
            "tidpunkt": tidpunkt_mod.format_rfc3339(self.tidpunkt),
            "kundhandelseTyp": self.typ,
            "producentarendetKraverKundatgard": self.kraver_kundatgard,
            "producentarendetKlart": self.klart,
            "version": self.version,
        }
        if self.utokad_information is not None:
            out["utokadInformation"] = self.utokad_information
        if self.referenser is not None:
            out["referenser"] = self.referenser
        if self.taggar:
            out["taggar"] = list(self.taggar)
        return out

    @property
    def event_type(self) -> EventType:
        return EventType(self.typ)

    @_kept
    def ball_holder(self) -> BallHolder:
        return ball_holder(self.klart, self.kraver_kundatgard)

    def answer_json(self) -> dict:
        """The event as a producer returns it in an answer: no ``part`` (the group says it), no ``taggar``."""
        out = self.to_json()
        del out["part"]
        out.pop("taggar", None)
        return out

    @_kept
    def case_key(self) -> str:
        """The producer case this event belongs to: the one place that decides which events make one case.

        Answers carry no ``part.arende``, so (in this order): ``part.arende`` when an event has it;
        else ``referenser.diarienummer`` (the same key as an ``arende`` of type Diarienummer); else
        ``referenser.lank`` (a deep link to the case); else the type's case segment, the last resort,
        which joins every case of one type that names no reference.
        """
        if self.part.arende is not None:
            return f"{self.part.arende.typ}:{self.part.arende.identifierare}"
        refs = self.referenser if isinstance(self.referenser, dict) else {}
        diarienummer, lank = refs.get("diarienummer"), refs.get("lank")
        if isinstance(diarienummer, str) and diarienummer.strip():
            return f"Diarienummer:{diarienummer.strip()}"
        if isinstance(lank, str) and lank.strip():
            return f"Lank:{lank.strip()}"
        return f"Arendetyp:{self.event_type.case_type}"

    @_kept
    def reference(self) -> str | None:
        """The case reference a user can quote: ``part.arende``, else ``referenser.diarienummer``."""
        if self.part.arende is not None:
            return self.part.arende.identifierare
        refs = self.referenser if isinstance(self.referenser, dict) else {}
        value = refs.get("diarienummer")
        return value.strip() if isinstance(value, str) and value.strip() else None

    @_kept
    def deadline(self) -> dt.date | None:
        """``utokadInformation.senastDatum`` as a date, or None when absent or malformed."""
        value = self.utokad_information.get("senastDatum") if isinstance(self.utokad_information, dict) else None
        if not isinstance(value, str):
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None

    @_kept
    def link(self) -> str | None:
        """``referenser.lank`` when it is an absolute http(s) URL; anything else is dropped."""
        value = self.referenser.get("lank") if isinstance(self.referenser, dict) else None
        return safe_link(value)


def safe_link(value) -> str | None:
    """Return ``value`` if it is an absolute http or https URL with a host and no user info, else None.

    ``http://user:pass@evil.example@good.example/`` is refused: whatever a browser makes
    of it, a reader cannot tell which host it goes to.
    """
    if not isinstance(value, str) or len(value) > 2000 or any(ch in value for ch in "\r\n\t "):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return value
