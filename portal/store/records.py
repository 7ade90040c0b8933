"""The plain records the store reads and writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.standard.models import Event


@dataclass
class SyncState:
    """What we know of one (party, producer, scope) fetch."""

    last_success_at: dt.datetime | None = None
    last_full_at: dt.datetime | None = None
    last_error_at: dt.datetime | None = None
    failing_since: dt.datetime | None = None
    last_error: str | None = None
    invalid: int = 0
    foreign: int = 0
    capped: int = 0  # events of the last answer left out because the storage cap was reached
    incomplete: str | None = None  # why the last answer was incomplete ("; "-joined), None when it was complete
    failed_behind: tuple[str, ...] = ()  # agencies behind a forwarder that failed in the last answer
    language: str | None = None  # the page language the last full answer was asked in (its texts are in it)


@dataclass(frozen=True)
class CaseRow:
    """A case as the overview lists it, read from the case rows (not rebuilt from its events)."""

    producer: str
    case_key: str
    latest_at: dt.datetime
    latest_typ: str
    ball: str
    deadline: dt.date | None
    first_rubrik: str
    first_sprak: str
    latest_rubrik: str
    latest_sprak: str
    reference: str | None
    events: int
    types: tuple[str, ...]
    last_arrival: str | None = None  # when we first had its newest-arrived event (ISO, UTC, as stored)


@dataclass(frozen=True)
class CaseQuery:
    """Which of a party's cases to list. Every field narrows; ``gate`` decides per case what a basis may see."""

    producers: tuple[str, ...]
    gate: object = None  # callable(producer, types) -> bool, or None for full access
    ball: str | None = None
    producer: str | None = None
    prefixes: tuple[str, ...] = ()  # latest type under one of these
    text: str = ""  # casefolded; in any event's title or description, or the reference
    start_utc: str | None = None  # some event at or after (ISO, UTC)
    end_utc: str | None = None  # some event before (ISO, UTC)


_CASE_COLUMNS = ("producer, case_key, latest_at, latest_typ, ball, deadline, first_rubrik, first_sprak, latest_rubrik,"
                 " latest_sprak, reference, events, types, last_arrival")


def _case_row(r) -> CaseRow:
    return CaseRow(r[0], r[1], dt.datetime.fromisoformat(r[2]), r[3], r[4],
                   dt.date.fromisoformat(r[5]) if r[5] else None, r[6], r[7], r[8], r[9], r[10], r[11],
                   tuple(r[12].split(",")) if r[12] else (), r[13])


def _prefix_sql(column: str, prefixes) -> tuple[str, list]:
    """``column`` is one of the type prefixes, at a segment boundary."""
    parts, params = [], []
    for p in prefixes:
        parts.append(f"({column} = ? or substr({column}, 1, ?) = ?)")
        params += [p, len(p) + 1, p + "."]
    return "(" + " or ".join(parts) + ")", params


@dataclass(frozen=True)
class StoredEvent:
    producer: str
    event: Event
    first_stored_at: dt.datetime | None = None
