"""The kit's HTTP side: one ``requests.Session``, every exchange recorded for the checks that look back.

Each call returns an ``Exchange`` (status, content type, body, parsed JSON,
time taken, what was sent). Connection failures become an exchange with
``status`` None, so a dead endpoint fails checks instead of crashing the run.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import requests

CORRELATION_HEADER = "skv_client_correlation_id"
_UNSET = object()


@dataclass
class Exchange:
    method: str
    path: str
    label: str  # what the kit was trying, for evidence lines
    status: int | None
    content_type: str = ""
    text: str = ""
    elapsed: float = 0.0
    sent: dict | None = None  # the JSON body sent, when it was JSON
    error: str | None = None
    headers: dict = field(default_factory=dict)  # the extra headers the kit chose to send (never the key)
    _json: object = field(default=_UNSET, repr=False)

    @property
    def json(self):
        """The body as JSON, or None when it is not JSON."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.text) if self.text else None
            except ValueError:
                self._json = None
        return self._json

    @property
    def is_json(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() == "application/json"

    def brief(self) -> str:
        """``POST /x (label) -> 401 in 12 ms`` for evidence lines."""
        outcome = f"no answer ({self.error})" if self.status is None else str(self.status)
        return f"{self.method} {self.path} ({self.label}) -> {outcome} in {self.elapsed * 1000:.0f} ms"

    def excerpt(self, limit: int = 160) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[:limit] + "…"


class Client:
    """Talks to one base URL; adds the credential and a fresh correlation id unless told not to.

    The credential goes in ``key_header`` after ``key_prefix``: ``X-API-Key: <key>`` for a
    producer, ``Authorization: Bearer <token>`` for a registry; or, with ``client_id``, as the
    ``client_id`` and ``client_secret`` headers some producers take instead.
    """

    def __init__(self, base_url: str, api_key: str | None, *, key_header: str = "X-API-Key", key_prefix: str = "",
                 client_id: str | None = None, timeout: float = 10.0, session: requests.Session | None = None):
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.key_header = key_header
        self.key_prefix = key_prefix
        self.client_id = client_id  # set: the key is a secret sent with it as client_id/client_secret headers
        self.timeout = timeout
        self.http = session or requests.Session()
        self.log: list[Exchange] = []

    def call(self, path: str, body=None, *, label: str, method: str = "POST", data: str | bytes | None = None,
             content_type: str | None = "application/json", key=_UNSET, correlation=_UNSET,
             headers: dict | None = None) -> Exchange:
        """Send one request. ``key``/``correlation`` None leave that header out; a string replaces it.

        ``path`` is appended to the base URL, unless it is an absolute http(s) URL (a token endpoint).
        """
        h: dict[str, str] = {}
        if content_type is not None:
            h["Content-Type"] = content_type
        api_key = self.api_key if key is _UNSET else key
        if api_key is not None and self.client_id is not None:
            h.update(client_id=self.client_id, client_secret=api_key)
        elif api_key is not None:
            h[self.key_header] = self.key_prefix + api_key
        corr = str(uuid.uuid4()) if correlation is _UNSET else correlation
        if corr is not None:
            h[CORRELATION_HEADER] = corr
        h.update(headers or {})
        payload = data if data is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None
                                                 else None)
        shown = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        url = path if path.startswith(("http://", "https://")) else self.base + path
        started = time.perf_counter()
        try:
            r = self.http.request(method, url, data=payload, headers=h, timeout=self.timeout)
        except requests.RequestException as exc:
            ex = Exchange(method, path, label, None, elapsed=time.perf_counter() - started,
                          sent=body if isinstance(body, dict) else None, error=exc.__class__.__name__,
                          headers=shown)
        else:
            ex = Exchange(method, path, label, r.status_code, r.headers.get("Content-Type", ""),
                          r.content.decode("utf-8", errors="replace"), time.perf_counter() - started,
                          sent=body if isinstance(body, dict) else None, headers=shown)
        self.log.append(ex)
        return ex


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.95 for p95); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]
