"""A simulated user: one ``requests.Session`` that logs in through the real form (its pages timed on a light
``http.client`` connection), and timing helpers."""

from __future__ import annotations

import html
import http.client
import http.cookies
import math
import re
import statistics
import time
import urllib.parse

import requests

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class User:
    """One person's browser: logs in with the mock e-ID form (GET /login for the CSRF token, POST personnummer)."""

    def __init__(self, base_url: str, pnr: str):
        self.base = base_url
        self.pnr = pnr
        self._light: LightClient | None = None
        self.http = requests.Session()
        form = self.http.get(base_url + "/login", timeout=30)
        form.raise_for_status()
        token = _CSRF.search(form.text)
        if token is None:
            raise RuntimeError("no CSRF token on the login page")
        # No redirect: following it would load the overview, and the scenarios time that load themselves.
        r = self.http.post(base_url + "/login", data={"csrf_token": token.group(1), "personnummer": pnr},
                           allow_redirects=False, timeout=30)
        if r.status_code != 302:
            raise RuntimeError(f"log-in as {pnr} answered {r.status_code}")

    def overview(self, timeout: float = 60, *, close: bool = False) -> tuple[float, "Page"]:
        """GET / : (client-side wall time in seconds, page). The body is read in full before the clock stops.

        ``close`` sends ``Connection: close``, so the next request opens a new connection (and gunicorn's
        workers compete for it again) instead of reusing the keep-alive one.
        """
        return self.get("/", timeout, close=close)

    def get(self, path: str, timeout: float = 60, *, close: bool = False) -> tuple[float, "Page"]:
        """GET ``path``: (client-side wall time in seconds, page), the body read in full; non-200 raises.

        Timed on this user's :class:`LightClient`, as P1 and P6 are: ``requests`` spends 1-2 ms of the bench's own
        CPU per request (the environment, the cookie jar, hooks), and its share moved the warm pages' client times
        by several ms between runs while the portal's own time (gunicorn's) stayed put.
        """
        if self._light is None:
            self._light = self.light()
        seconds, headers, body = self._light.fetch(path, timeout, close=close)
        return seconds, Page(200, headers, body)

    def post_form(self, path: str, data: dict, csrf_from: str) -> requests.Response:
        """POST a form with the CSRF token of the page at ``csrf_from``; redirects are not followed."""
        token = _CSRF.search(self.http.get(self.base + csrf_from, timeout=30).text)
        if token is None:
            raise RuntimeError(f"no CSRF token on {csrf_from}")
        if self._light is not None:  # the answer may set cookies: the light client takes them up anew
            self._light.close()
            self._light = None
        return self.http.post(self.base + path, data={"csrf_token": token.group(1), **data}, allow_redirects=False,
                              timeout=30)

    def light(self) -> "LightClient":
        """This user's log-in on a lighter client for load rounds (P6): see :class:`LightClient`."""
        return LightClient(self.base, "; ".join(f"{c.name}={c.value}" for c in self.http.cookies))

    def close(self) -> None:
        if self._light is not None:
            self._light.close()
        self.http.close()


class Page:
    """A page as :meth:`User.get` read it: the parts of a ``requests`` response the scenarios use."""

    def __init__(self, status: int, headers, body: bytes):
        self.status_code, self.headers, self.content = status, headers, body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


class LightClient:
    """A logged-in user's GET on one keep-alive ``http.client`` connection: the load generator of P6.

    The load generator shares the two cores with the portal; ``requests`` spends about 1 ms of CPU per request
    on its own (hooks, cookie jar, environment look-ups), which the portal's workers then do not get. A load tool
    should be as light as it can be (as ``wrk`` or ``ab`` are), so the throughput measures the portal.
    """

    def __init__(self, base_url: str, cookie: str):
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
        self.headers = {"Cookie": cookie, "Accept": "text/html"}
        self.conn: http.client.HTTPConnection | None = None

    def _take_cookies(self, headers: http.client.HTTPMessage) -> None:
        """Keep what ``Set-Cookie`` sets, as a browser does (a client that sent its log-in's cookie for ever would
        have the portal sign and send a new one on every page, work no browser causes)."""
        set_cookie = headers.get_all("Set-Cookie")
        if not set_cookie:
            return
        for line in set_cookie:
            for name, morsel in http.cookies.SimpleCookie(line).items():
                if morsel["max-age"] == "0" or (morsel["expires"] and not morsel.value):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value
        self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def get(self, path: str = "/", timeout: float = 120, *, close: bool = False) -> float:
        """GET ``path``, body read in full: client-side seconds. A non-200 answer raises."""
        return self.fetch(path, timeout, close=close)[0]

    def fetch(self, path: str = "/", timeout: float = 120, *,
              close: bool = False) -> tuple[float, http.client.HTTPMessage, bytes]:
        """GET ``path``: (client-side seconds, response headers, body read in full). A non-200 answer raises."""
        t0 = time.perf_counter()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self.conn.request("GET", path, headers={**self.headers, **({"Connection": "close"} if close else {})})
                response = self.conn.getresponse()
                body = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed an idle keep-alive connection: once more, on a new one
                self.conn = None
                if attempt:
                    raise
        elapsed = time.perf_counter() - t0
        self._take_cookies(response.headers)
        if close or response.will_close:
            self.close()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        return elapsed, response.headers, body

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def server_timing(response) -> dict[str, float]:
    """The portal's ``Server-Timing`` header (bench portals turn it on) as stage -> ms; ``response`` is a
    ``requests`` response or the headers of one (``LightClient.fetch``)."""
    out = {}
    headers = getattr(response, "headers", response)
    for part in headers.get("Server-Timing", "").split(","):
        name, _, dur = part.strip().partition(";dur=")
        if name and dur:
            out[name] = float(dur)
    return out


def stage_summary(timings: list[dict[str, float]]) -> dict[str, float]:
    """Per stage, the median ms over the requests (a stage missing from a request counts as 0)."""
    names = list(dict.fromkeys(n for t in timings for n in t))
    return {n: round(statistics.median(t.get(n, 0.0) for t in timings), 2) for n in names}


def case_count(body: str) -> int:
    return body.count('<li class="case-card ')


def agencies_with_cases(body: str, names: dict[str, str]) -> set[str]:
    """Slugs of the agencies that have at least one case card on the page (card facts name the agency)."""
    return {slug for slug, name in names.items() if f"<dd>{html.escape(name)}</dd>" in body}


def warning_count(body: str) -> int:
    return body.count('class="notice notice--warning"')


# --- statistics ----------------------------------------------------------------------------------------------

def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values, scale: float = 1.0, digits: int = 1) -> dict:
    """Median with min and max (and n), each multiplied by ``scale``."""
    vals = [v * scale for v in values]
    return {"median": round(statistics.median(vals), digits), "min": round(min(vals), digits),
            "max": round(max(vals), digits), "n": len(vals)}
