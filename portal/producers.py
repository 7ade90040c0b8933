"""Client of one producer's ``kundhandelseFragaSynkron`` (or a forwarder's: same operation).

Pages through a customer's events up to a bound, each call within a wall-clock
deadline and a size cap (``portal.outbound``), validates every event on its own
and drops (and counts) the bad ones and those about another customer. It also
says whether the answer was *complete*: only a complete answer may prove that an
event we hold is gone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import requests

from portal import outbound
from portal.config import ProducerConfig
from portal.standard.models import Event, Kund, Part
from portal.standard.query import Query
from portal.standard.response import InvalidResponse, parse_response

MAX_BODY_BYTES = 8 * 1024 * 1024


class ProducerFailed(Exception):
    """The producer gave no usable answer. ``reason`` is a short code for the UI, the message is for logs."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason  # down | timeout | http | invalid | too_large | forbidden


@dataclass
class FetchResult:
    events: list[Event] = field(default_factory=list)
    invalid: int = 0
    foreign: int = 0
    pages: int = 0
    bytes: int = 0
    # Why the answer may lack events the producer holds (empty: complete). A 206, a failed delfraga, an
    # unreadable event (perhaps one we hold, re-sent in a broken form), fewer events than
    # totaltAntalKundhandelser, or our own page bound. An incomplete answer never deletes anything.
    incomplete: list[str] = field(default_factory=list)
    failed_behind: list[str] = field(default_factory=list)  # agencies behind a forwarder that failed

    @property
    def complete(self) -> bool:
        return not self.incomplete

    def _note(self, reason: str) -> None:
        if reason not in self.incomplete:
            self.incomplete.append(reason)


class ProducerClient:
    def __init__(self, config: ProducerConfig, session: requests.Session, *, page_size: int = 500,
                 max_pages: int = 20, max_body_bytes: int = MAX_BODY_BYTES):
        self.config = config
        self.session = session
        self.page_size = page_size
        self.max_pages = max_pages
        self.max_body_bytes = max_body_bytes

    def fetch(self, kund: Kund, anvandare: str, correlation_id: str, *, since: dt.date | None = None,
              language: str = "sv") -> FetchResult:
        """Every event about ``kund`` (from ``since`` on, when given), newest first."""
        result = FetchResult()
        offset, read = 0, 0
        while True:
            query = Query(parter=(Part(kund=kund),), anvandare=anvandare, start=since,
                          sortering=(("TIDPUNKT", False),), offset=offset, limit=self.page_size)
            status, body = self._post(query.to_json(), correlation_id, language)
            result.bytes += len(body)
            result.pages += 1
            try:
                parsed = parse_response(body)
            except InvalidResponse as exc:
                raise ProducerFailed("invalid", str(exc)) from None
            if status == 206:
                result._note("partial answer (206)")
            for d in parsed.delfragor:
                if d.get("status") != "OK":
                    result._note("a delfraga failed")
                    # A producer's own failed delfraga is not an agency behind it.
                    behind = d["producent"].casefold() != self.config.name.casefold()
                    if behind and d["producent"] not in result.failed_behind:
                        result.failed_behind.append(d["producent"])
            if parsed.problems:
                result._note("unreadable events")
            result.invalid += len(parsed.problems)
            read += len(parsed.problems)
            total = 0
            for part in parsed.parts:
                total = max(total, part.total)
                read += len(part.events)
                for event in part.events:
                    if event.part.kund is None or not kund.covers(event.part.kund):
                        result.foreign += 1  # a producer bug: never shown, never stored
                    else:
                        result.events.append(event)
            offset += self.page_size
            if offset >= total:
                if read < total:
                    result._note("fewer events than totaltAntalKundhandelser")
                return result
            if result.pages >= self.max_pages:
                result._note("page bound reached")
                return result

    def _post(self, body: dict, correlation_id: str, language: str) -> tuple[int, bytes]:
        headers = {**self.config.auth_headers(), "Content-Type": "application/json",
                   "skv_client_correlation_id": correlation_id, "Accept-Language": language}
        url = self.config.url.rstrip("/") + "/kundhandelseFragaSynkron"
        try:
            answer = outbound.call(self.session, "POST", url, deadline_s=self.config.timeout_s,
                                   max_bytes=self.max_body_bytes, data=json.dumps(body), headers=headers)
        except outbound.OutboundFailed as exc:
            message = {"timeout": "producer did not answer in time", "down": f"producer not reachable ({exc})",
                       "too_large": str(exc)}.get(exc.reason, str(exc))
            raise ProducerFailed(exc.reason, message) from None
        if answer.status == 403:
            raise ProducerFailed("forbidden", "producer refused the user for this customer (403)")
        if answer.status not in (200, 206):
            raise ProducerFailed("http", f"producer answered {answer.status}")
        return answer.status, answer.body
