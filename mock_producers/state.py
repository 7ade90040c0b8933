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
DEMO_OMBUD_CLIENT_SECRET = "demo-ombud-secret-0123456789abcdef0123"  # Mina ombud's OAuth2 client secret (demo)
DEMO_SIGNATORY_KEY = "demo-signatory-key-0123456789abcdef0123"  # the signatory source's key (demo)
DEMO_CLIENT_SECRET = "demo-client-secret-0123456789abcdef0123"
DEMO_CLIENT_ID = "mina-arenden-portal"


@dataclass(frozen=True)
class ProducerAuth:
    """How one agency wants consumers to authenticate (real producers differ).

    ``api_key``: the key in one header (``X-API-Key`` in the reference producer; the name is configurable).
    ``client_headers``: ``client_id`` and ``client_secret`` headers, as an older reference producer took them.
    """

    kind: str = "api_key"
    header: str = "X-API-Key"
    client_id: str = DEMO_CLIENT_ID


# The demo world has an agency of each kind; every other agency takes X-API-Key.
DEMO_AUTH = {
    "tanum": ProducerAuth("client_headers"),
    "lantmateriet": ProducerAuth("api_key", header="X-Gateway-Key"),
}


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
    ombud_client_secret: str = DEMO_OMBUD_CLIENT_SECRET  # the registry's OAuth2 client secret
    signatory_key: str = DEMO_SIGNATORY_KEY  # the signatory source's own API key
    access_check: bool = True
    self_url: str = ""
    forwarder_timeout_s: float = 5.0
    client_secret: str = DEMO_CLIENT_SECRET
    auth: dict[str, ProducerAuth] = field(default_factory=dict)  # slug -> its auth; X-API-Key when absent
    board: FaultBoard = None  # type: ignore[assignment]
    stats: dict[str, Stats] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        if self.board is None:
            self.board = FaultBoard(list(self.producers) + ["minaombud", "foretagsdata"])

    def today(self) -> dt.date:
        """Today in Sweden (mandates are valid per Swedish calendar day), on the shared clock."""
        return clock.today()

    def key_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.api_key.encode())

    def caller_ok(self, slug: str | None, headers) -> bool:
        """Whether the request's credentials are those agency ``slug`` wants (the forwarder: ``None``)."""
        auth = self.auth.get(slug, ProducerAuth()) if slug else ProducerAuth()
        if auth.kind == "client_headers":
            given_id, given_secret = headers.get("client_id"), headers.get("client_secret")
            return (given_id is not None and given_secret is not None
                    and hmac.compare_digest(given_id.encode(), auth.client_id.encode())
                    & hmac.compare_digest(given_secret.encode(), self.client_secret.encode()))
        return self.key_ok(headers.get(auth.header))

    def credentials_for(self, slug: str) -> dict[str, str]:
        """The headers that authenticate a caller (the forwarder) to agency ``slug``."""
        auth = self.auth.get(slug, ProducerAuth())
        if auth.kind == "client_headers":
            return {"client_id": auth.client_id, "client_secret": self.client_secret}
        return {auth.header: self.api_key}

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
