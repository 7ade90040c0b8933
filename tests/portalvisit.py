"""A visitor of running portals (``PortalServer``) over HTTP, and portals on a database a test chooses.

For tests of several portal instances and of database faults: one ``Visitor`` is one browser (its cookie jar,
Swedish, and, behind a trusted proxy, its own client address), which may visit any instance.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import requests
from bs4 import BeautifulSoup

from portalserver import PortalServer, worker_pids

PENDING = "span.poll"  # on an overview while an agency's answer is still awaited (the page polls for it)


def start_portals(database: str, mock_url: str, workdirs: list[Path], **settings) -> list[PortalServer]:
    """Portals (gunicorn) on one ``database``, started at once (so they also migrate it at the same moment)."""
    started: dict[int, PortalServer] = {}
    errors: list[BaseException] = []

    def start(i: int, workdir: Path) -> None:
        try:
            started[i] = PortalServer(mock_url, workdir, database=database, **settings)
        except RuntimeError as exc:  # it did not start: reported below, with the others stopped
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(i, d)) for i, d in enumerate(workdirs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors or len(started) < len(workdirs):
        for server in started.values():
            server.stop()
        raise errors[0] if errors else RuntimeError("a portal did not start (see the thread's error above)")
    return [started[i] for i in range(len(workdirs))]


def kill(server: PortalServer) -> None:
    """SIGKILL gunicorn's master and its workers at once: the host dies, nothing gets to clean up."""
    pids = [server.proc.pid, *worker_pids(server.proc.pid)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.proc.wait(timeout=10)


def mock_log(world) -> str:
    """What the mock world logged so far (a line per query as it arrives: ``query producer=<slug> ...``)."""
    if hasattr(world, "output"):
        return world.output()
    return Path(world.log.name).read_text(errors="replace")


def asked(world, slug: str) -> int:
    """How many queries the mock agency ``slug`` has received so far (counted as they arrive, held or not)."""
    return mock_log(world).count(f"query producer={slug} ")


def until(condition, what: str, limit_s: float = 30.0, every_s: float = 0.2):
    """Poll ``condition()`` until it gives something true; fail naming ``what`` after ``limit_s``."""
    end = time.monotonic() + limit_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not within {limit_s:g} s: {what}")
        time.sleep(every_s)


def soup(response: requests.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split()) if node is not None else ""


class Visitor:
    """One browser: a cookie jar, Swedish pages, and (``address``) the client address a trusted proxy reports."""

    def __init__(self, address: str | None = None):
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "sv"
        if address is not None:
            self.http.headers["X-Forwarded-For"] = address

    def copy(self) -> Visitor:
        """A second browser holding this one's cookies now (the same session, from then on its own jar)."""
        other = Visitor()
        other.http.headers.update(self.http.headers)
        other.http.cookies.update(self.http.cookies)
        return other

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.http.get(url, timeout=30, allow_redirects=False, **kwargs)

    def post(self, url: str, data: dict, **kwargs) -> requests.Response:
        return self.http.post(url, data=data, timeout=30, allow_redirects=False, **kwargs)

    def csrf(self, url: str) -> str:
        """A CSRF token from a page's form (the log-in page, or any page once logged in)."""
        found = soup(self.get(url)).select_one('input[name="csrf_token"]')
        assert found is not None, f"no form on {url}"
        return found["value"]

    def login(self, portal: str, pnr: str) -> requests.Response:
        """Log in with the mock e-ID; the redirect is not followed (it would load the overview)."""
        return self.post(portal + "/login", {"personnummer": pnr, "csrf_token": self.csrf(portal + "/login")})

    def overview(self, portal: str) -> BeautifulSoup:
        r = self.get(portal + "/")
        assert r.status_code == 200, (r.status_code, r.headers.get("Location"), r.text[:300])
        return soup(r)

    def settled(self, portal: str, limit_s: float = 30.0) -> BeautifulSoup:
        """The overview once no agency's answer is awaited any more."""
        return until(lambda: (page := self.overview(portal)).select_one(PENDING) is None and page,
                     f"an overview at {portal} with every agency's answer in", limit_s)

    def act_as(self, portal: str, name: str) -> requests.Response:
        """Switch to the party whose option in the switcher starts with ``name``."""
        page = self.overview(portal)
        option = next(o for o in page.select("#party-select option") if text_of(o).startswith(name))
        token = page.select_one('.party-form input[name="csrf_token"]')["value"]
        r = self.post(portal + "/act-as", {"party": option["value"], "csrf_token": token})
        assert r.status_code == 302, r.status_code
        return r


def party_name(page: BeautifulSoup) -> str:
    return text_of(page.select_one(".party-bar__name"))


def case_titles(page: BeautifulSoup) -> list[str]:
    """What names each case listed on an overview: its title and agency."""
    cards = page.select("main .case-card")
    return sorted(f"{text_of(c.select_one('.case-card__title'))} | {_agency(c)}" for c in cards)


def _agency(card) -> str:
    for fact in card.select(".case-card__facts > div"):
        if text_of(fact.select_one("dt")) == "Myndighet":
            return text_of(fact.select_one("dd"))
    return ""


def statuses(page: BeautifulSoup) -> dict[str, str]:
    """Agency slug -> what the overview's status list says about it."""
    return {li["data-producer"]: text_of(li) for li in page.select(".status-list__item")}


def pending(page: BeautifulSoup) -> set[str]:
    """The agencies the overview says it is still waiting for."""
    return {slug for slug, line in statuses(page).items() if "väntar på svar" in line}
