"""A real mock world (``python -m mock_producers``) on a free loopback port, for tests of any kind."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import requests

from launcher import Launched
from mock_producers.state import DEMO_ADMIN_KEY, DEMO_API_KEY, DEMO_AUTH, DEMO_CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_WORLD = ROOT / "tests" / "fixtures" / "world"
# The data files' dates are served moved to today (their ``referensdatum``, mock_producers/dates.py):
# tests compare with ``MockWorld.moved(...)``, never with a date as written.


def credentials(slug: str) -> dict[str, str]:
    """The headers that authenticate a consumer to the mock agency ``slug`` (its kind of auth varies)."""
    auth = DEMO_AUTH.get(slug)
    if auth is None:
        return {"X-API-Key": DEMO_API_KEY}
    if auth.kind == "client_headers":
        return {"client_id": auth.client_id, "client_secret": DEMO_CLIENT_SECRET}
    return {auth.header: DEMO_API_KEY}


class MockWorld:
    """A running ``python -m mock_producers`` and helpers to talk to it."""

    def __init__(self, *args: str):
        env = {**os.environ, "MOCK_PRODUCER_API_KEY": DEMO_API_KEY, "MOCK_ADMIN_KEY": DEMO_ADMIN_KEY}
        # It prints "Mock producers on http://127.0.0.1:<port>: <slugs>" once it listens.
        self.server = Launched("mock producers", [sys.executable, "-m", "mock_producers", "--port", "0", *args],
                               env=env, printed=r"^Mock producers on (http://\S+?):? ", timeout_s=180,
                               stdout_apart=True)  # then a banner for people: the demo identities
        self.proc = self.server.proc
        self.log_path = self.server.log_path
        self.url = self.server.match.group(1)
        self.http = requests.Session()

    def clock(self) -> dict:
        """``{"today", "shiftDays": {file: days}}``: the world's today and how far each data file moved."""
        if getattr(self, "_clock", None) is None:
            r = self.admin("GET", "/clock")
            r.raise_for_status()
            self._clock = r.json()
        return self._clock

    def moved(self, value: str, source: str = "minaombud") -> str:
        """A date or tidpunkt as written in ``source``'s data file, as the world serves it today."""
        from mock_producers.dates import shift_value
        return shift_value(value, self.clock()["shiftDays"][source])

    def output(self) -> str:
        """What the server logged so far (a line per query: ``query producer=<slug> ...``)."""
        return self.server.output()

    def stop(self) -> str:
        """Stop the server; returns what it logged (again, if asked twice)."""
        return self.server.stop()

    def query(self, path: str, body, *, key: str | None = "auto", correlation: str | None = "auto",
              content_type: str = "application/json", headers: dict | None = None, timeout: float = 10):
        """POST ``body`` to ``path`` (e.g. ``/alfa/kundhandelseFragaSynkron``) like a consumer would.

        ``key="auto"`` sends the credentials the path's agency wants (``credentials``); any other string is
        sent as ``X-API-Key``; None sends none.
        """
        h = {"Content-Type": content_type}
        if key == "auto":
            h.update(credentials(path.strip("/").split("/")[0]))
        elif key is not None:
            h["X-API-Key"] = key
        if correlation == "auto":
            h["skv_client_correlation_id"] = str(uuid.uuid4())
        elif correlation is not None:
            h["skv_client_correlation_id"] = correlation
        h.update(headers or {})
        data = body if isinstance(body, (str, bytes)) else __import__("json").dumps(body)
        return self.http.post(self.url + path, data=data, headers=h, timeout=timeout)

    def admin(self, method: str, path: str, body=None, key: str = DEMO_ADMIN_KEY):
        return self.http.request(method, self.url + "/_admin" + path, json=body, headers={"X-Admin-Key": key},
                                 timeout=10)


