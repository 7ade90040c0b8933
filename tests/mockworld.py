"""A real mock world (``python -m mock_producers``) on a free loopback port, for tests of any kind."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests

import privacyscan

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
        # The server logs every request: to a file, since a pipe nobody reads fills up and blocks it.
        self.log = tempfile.NamedTemporaryFile("w+", prefix="mock_producers-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mock_producers", "--port", "0", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("Mock producers on "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"mock producers did not start: {line}{Path(self.log.name).read_text()}")
        self.url = line.split()[3].rstrip(":")
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

    def stop(self) -> str:
        """Stop the server; returns what it logged (again, if asked twice)."""
        if getattr(self, "stopped_log", None) is not None:
            return self.stopped_log
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
        self.log.close()
        text = Path(self.log.name).read_text()
        os.unlink(self.log.name)
        privacyscan.add("mock producers log", text)
        self.stopped_log = text
        return text

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


