"""Reading a producer's (or forwarder's) answer to ``kundhandelseFragaSynkron``.

One bad event never sinks the rest: the envelope must be right, but each event
is validated on its own and problems are reported per event. Events in a real
answer carry no ``part`` (the group's ``kundhandelser[i].part`` says whom they
are about) and no ``taggar``; an event that does carry its own ``part`` keeps it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import schemas
from .models import Event, Part
from .tidpunkt import InvalidTidpunkt


class InvalidResponse(ValueError):
    """The body is not a usable answer at all (not JSON, or the envelope is wrong)."""


@dataclass(frozen=True)
class EventProblem:
    """Why one event was dropped. ``kundhandelse_id`` is None when it was unreadable."""

    part_index: int
    event_index: int
    kundhandelse_id: str | None
    messages: tuple[str, ...]


@dataclass
class PartResult:
    """The events returned for one asked part."""

    part: Part
    total: int
    events: list[Event] = field(default_factory=list)


@dataclass
class ParsedResponse:
    parts: list[PartResult]
    problems: list[EventProblem]
    delfragor: list[dict]
    metadata: dict

    @property
    def events(self) -> list[Event]:
        return [e for p in self.parts for e in p.events]


def parse_response(body) -> ParsedResponse:
    """Parse and validate a response body (bytes, str or already-decoded JSON)."""
    if isinstance(body, (bytes, bytearray, str)):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidResponse(f"the answer is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(body, dict) or not isinstance(body.get("kundhandelser"), list):
        raise InvalidResponse("the answer has no 'kundhandelser' list")
    parts: list[PartResult] = []
    problems: list[EventProblem] = []
    for pi, entry in enumerate(body["kundhandelser"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("kundhandelserForPart"), list):
            raise InvalidResponse(f"kundhandelser[{pi}] has no 'kundhandelserForPart' list")
        part_problems = schemas.problems("part", entry.get("part"))
        if part_problems:
            raise InvalidResponse(f"kundhandelser[{pi}].part is invalid: {part_problems[0]}")
        total = entry.get("totaltAntalKundhandelser")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise InvalidResponse(f"kundhandelser[{pi}].totaltAntalKundhandelser is not a count")
        result = PartResult(Part.from_json(entry["part"]), total)
        for ei, raw in enumerate(entry["kundhandelserForPart"]):
            event, messages = parse_event(raw, result.part)
            if event is None:
                ident = raw.get("kundhandelseId") if isinstance(raw, dict) else None
                ident = ident if isinstance(ident, str) and len(ident) <= 100 else None
                problems.append(EventProblem(pi, ei, ident, tuple(messages)))
            else:
                result.events.append(event)
        parts.append(result)
    delfragor = body.get("delfragor") or []
    if not isinstance(delfragor, list) or any(schemas.problems("svar", d, "Delfraga") for d in delfragor):
        raise InvalidResponse("'delfragor' is malformed")
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    return ParsedResponse(parts, problems, delfragor, metadata)


def parse_event(raw, part: Part | None = None) -> tuple[Event | None, list[str]]:
    """Validate one event: (Event, []) when good, (None, problems) when not.

    ``part`` is the answer group's part, for an event without one of its own; without
    it (a producer's data file) the event must name its ``part``.
    """
    if not schemas.is_valid("kundhandelse", raw):
        return None, schemas.explain("kundhandelse", raw) or ["$: does not match the schema"]
    if part is None and "part" not in raw:
        return None, ["$.part is required"]
    try:
        return Event.from_json(raw, part), []
    except InvalidTidpunkt as exc:
        return None, [f"$.tidpunkt: {exc}"]
