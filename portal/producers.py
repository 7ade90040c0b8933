"""Client of one producer's ``kundhandelseFragaSynkron`` (or a forwarder's: same operation).

Pages through a customer's events up to a bound, caps the body size while
streaming, validates every event on its own and drops (and counts) the bad ones
and those about another customer.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import requests

from portal.config import ProducerConfig
from portal.standard.models import Event, Kund
from portal.standard.query import Query
from portal.standard.models import Part
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
    complete: bool = True  # False when the page bound stopped us


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
        offset = 0
        while True:
            query = Query(parter=(Part(kund=kund),), anvandare=anvandare, start=since,
                          sortering=(("TIDPUNKT", False),), offset=offset, limit=self.page_size)
            body, size = self._post(query.to_json(), correlation_id, language)
            result.bytes += size
            result.pages += 1
            try:
                parsed = parse_response(body)
            except InvalidResponse as exc:
                raise ProducerFailed("invalid", str(exc)) from None
            result.invalid += len(parsed.problems)
            total = 0
            for part in parsed.parts:
                total = max(total, part.total)
                for event in part.events:
                    if event.part.kund is None or not kund.covers(event.part.kund):
                        result.foreign += 1  # a producer bug: never shown, never stored
                    else:
                        result.events.append(event)
            offset += self.page_size
            if offset >= total:
                return result
            if result.pages >= self.max_pages:
                result.complete = False
                return result

    def _post(self, body: dict, correlation_id: str, language: str) -> tuple[bytes, int]:
        headers = {"X-API-Key": self.config.api_key, "Content-Type": "application/json",
                   "skv_client_correlation_id": correlation_id, "Accept-Language": language}
        url = self.config.url.rstrip("/") + "/kundhandelseFragaSynkron"
        try:
            with self.session.post(url, data=json.dumps(body), headers=headers, timeout=self.config.timeout_s,
                                   stream=True) as r:
                if r.status_code == 403:
                    raise ProducerFailed("forbidden", "producer refused the user for this customer (403)")
                if r.status_code not in (200, 206):
                    raise ProducerFailed("http", f"producer answered {r.status_code}")
                chunks, size = [], 0
                for chunk in r.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise ProducerFailed("too_large", f"answer larger than {self.max_body_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks), size
        except requests.Timeout:
            raise ProducerFailed("timeout", "producer did not answer in time") from None
        except requests.RequestException as exc:
            raise ProducerFailed("down", f"producer not reachable ({exc.__class__.__name__})") from None
