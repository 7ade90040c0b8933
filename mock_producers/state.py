"""The mock world's shared, thread-safe state: producers, registry, knobs, keys, counters."""

from __future__ import annotations

import datetime as dt
import hmac
import threading
from dataclasses import dataclass, field

from portal.standard import clock

from .data import Producer
from .faults import FaultBoard

DEMO_API_KEY = "demo-api-key-0123456789abcdef0123456789"  # >= 32 chars, as the reference producer wants
DEMO_ADMIN_KEY = "demo-admin-key-0123456789abcdef012345678"


@dataclass
class Stats:
    requests: int = 0
    bytes_sent: int = 0


@dataclass
class MockState:
    producers: dict[str, Producer]
    registry: dict
    api_key: str = DEMO_API_KEY
    admin_key: str = DEMO_ADMIN_KEY
    access_check: bool = True
    self_url: str = ""
    forwarder_timeout_s: float = 5.0
    board: FaultBoard = None  # type: ignore[assignment]
    stats: dict[str, Stats] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        if self.board is None:
            self.board = FaultBoard(list(self.producers) + ["minaombud"])

    def today(self) -> dt.date:
        """Today in Sweden (mandates are valid per Swedish calendar day), on the shared clock."""
        return clock.today()

    def key_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.api_key.encode())

    def admin_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.admin_key.encode())

    def count(self, slug: str, nbytes: int) -> None:
        with self.lock:
            s = self.stats.setdefault(slug, Stats())
            s.requests += 1
            s.bytes_sent += nbytes

    def registry_snapshot(self) -> dict:
        with self.lock:
            return self.registry

    def replace_registry(self, doc: dict) -> None:
        with self.lock:
            self.registry = doc
