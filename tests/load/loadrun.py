"""A bounded load run against a running portal: simulated users, a leak oracle, and the workers' memory.

``run_load(portal_url, sessions, requests_per_session, master_pid=...)`` starts one thread per simulated user. Each
user has its own ``requests.Session`` (cookies, keep-alive), logs in through the real form (GET /login for the
``csrf_token``, POST the personnummer), and then issues requests until it has sent ``requests_per_session`` in all
(the log-in's two requests included), so the run always ends by itself. The mix, drawn from a seeded RNG:

* ``GET /`` (the full overview: party bar, switcher, case links),
* ``GET /arende/<handle>`` of a case linked from the last overview of the party the user is acting for,
* ``GET /?q=...`` with ``HX-Request: true`` (the fragment an htmx search swaps in),
* for "switching" users (Karin and Eva, every other session of theirs): ``POST /act-as`` with a handle from the
  page's ``#party-select`` and the form's ``csrf_token``, then ``GET /`` as the browser follows the redirect.

**Errors**: an exception (connection, timeout), a status other than the one expected (200 for pages, 302 for the
log-in and the switch), a page without the parts it must have (party bar, header, CSRF token), a gunicorn worker
that disappears, and any ``Traceback`` / ``ERROR`` / ``database is locked`` line the server writes to its log during
the run (when ``server_log`` is given).

**Leaks** (the oracle is the demo data, ``mock_producers/data/*.json``, and the mandates the brief lists, written
out in ``SCOPES`` independently of the portal's own rules): every response must show only the data of the party
the session acts for at that moment, with what that user may see of it:

* the party named in ``.party-bar__name`` is the one the session last switched to (at log-in: the user);
* the name in ``.site-header__user`` is the session's own user;
* every case reference (``part.arende.identifierare`` of any demo event) found in the page's text belongs to
  that party, and for a mandate to an event whose type the mandate covers (Eva for Fjällbygg AB: ``SKV.MOMS`` and
  ``BV`` only). A reference of another customer is a ``party`` leak, one of the right customer outside the
  mandate a ``scope`` leak. htmx fragments carry no party bar: they are checked against the party the session is
  acting for.

**Memory**: a sampler thread reads ``VmRSS`` of every gunicorn worker (the children of ``master_pid``) from
``/proc/<pid>/status`` every ``sample_interval`` seconds, with the number of requests done so far. The rule
(``MEMORY_RULE``): the workers' total RSS when the last request is done is at most ``1 + max_growth`` (default
1.20) times their total RSS at the end of the first half (the last sample taken when at most half of all requests
were done). Start-up growth (imports, first pages, caches filling) happens before the midpoint and is not counted.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from portalserver import worker_pids

DATA_DIR = Path(__file__).resolve().parents[2] / "mock_producers" / "data"

KARIN, SARA, JOHAN, EVA, OLLE, ALI = ("198504124564", "199206202344", "197803157895", "196601013458",
                                      "199511115678", "199106613343")
OSTRON, KUSTBAGERIET, FJALLBYGG, NYSTROM_AB = "165590001235", "165590002340", "165590003454", "165590006788"

# The demo identities the sessions log in as, in round-robin order: (personnummer, the name the portal shows).
IDENTITIES: list[tuple[str, str]] = [
    (KARIN, "Karin Ström"), (SARA, "Sara Lind"), (JOHAN, "Johan Berg"),
    (EVA, "Eva Nyström"), (OLLE, "Olle Tom"), (ALI, "Ali Hassan"),
]

# user -> party name shown -> (customer identifier in the events, type-code prefixes the user may see or None = all).
# Written from the demo data's registry (mock_producers/data/minaombud.json) as the brief states it, not from the
# portal's code: Hamnkrogen (revoked) and Västkust Logistik (expired) are absent on purpose.
SCOPES: dict[str, dict[str, tuple[str, tuple[str, ...] | None]]] = {
    KARIN: {"Karin Ström": (KARIN, None), "Bohusläns Ostron AB": (OSTRON, None)},  # own; signatory
    SARA: {"Sara Lind": (SARA, None)},
    JOHAN: {"Johan Berg": (JOHAN, None)},
    EVA: {
        "Eva Nyström": (EVA, None),
        "Nyström Redovisning AB": (NYSTROM_AB, None),  # signatory
        "Kustbageriet AB": (KUSTBAGERIET, ("SKV",)),  # mandate: Skatteverket
        "Fjällbygg AB": (FJALLBYGG, ("SKV.MOMS", "BV")),  # mandates: moms at Skatteverket, all at Bolagsverket
        "Bohusläns Ostron AB": (OSTRON, ("SKV",)),  # mandates: Skatteverket (passive + moms)
        "Karin Ström": (KARIN, ("SKV.INKOMSTDEKLARATION",)),  # mandate: income tax at Skatteverket
    },
    OLLE: {"Olle Tom": (OLLE, None)},
    ALI: {"Ali Hassan": (ALI, None)},
}

# Search words for the htmx requests: some match in several parties' cases, some nowhere.
QUERIES = ["skatt", "beslut", "moms", "ansökan", "bygglov", "2026", "Vi har", "komplettering", "föräldrapenning",
           "vattenbruk", "ärende", "xyzzy-inget"]

MEMORY_RULE = ("the gunicorn workers' total VmRSS when the last request is done is at most {factor:.2f} x their "
               "total VmRSS at the end of the first half of the run (last sample with <= 50% of the requests done)")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_PARTY_FORM = re.compile(r'<form[^>]*class="party-form"[^>]*>(.*?)</form>', re.S)
_PARTY_NAME = re.compile(r'<span class="party-bar__name">(.*?)</span>', re.S)
_USER_NAME = re.compile(r'<span class="site-header__user">(.*?)</span>', re.S)
_SELECT = re.compile(r'<select id="party-select"[^>]*>(.*?)</select>', re.S)
_OPTION = re.compile(r'<option value="([^"]*)"[^>]*>(.*?)</option>', re.S)
_CASE_LINK = re.compile(r'href="(/arende/[^"?#]+)"')
_TAG = re.compile(r"<[^>]*>")
_WARNING = 'notice notice--warning'
_SERVER_TROUBLE = re.compile(r"Traceback|\"level\": \"(ERROR|CRITICAL)\"|\[(ERROR|CRITICAL)\]|database is locked|"
                             r"WORKER TIMEOUT|OperationalError")


# --- the oracle ---------------------------------------------------------------------------------------------------

def _covered(typ: str, codes: tuple[str, ...] | None) -> bool:
    """Segment-boundary prefix match, as the README's decision: SKV.MOMS covers SKV.MOMS.BESLUT, not SKV.MOMSX."""
    return codes is None or any(typ == c or typ.startswith(c + ".") for c in codes)


class Oracle:
    """Which case references a session may see: from the demo data's events and ``SCOPES``."""

    def __init__(self, data_dir: Path = DATA_DIR, scopes=SCOPES):
        self.scopes = scopes
        self.events: list[tuple[str, str, str]] = []  # (customer, type, reference)
        for path in sorted(data_dir.glob("*.json")):
            if path.name.startswith("_") or path.name == "minaombud.json":
                continue
            doc = json.loads(path.read_text(encoding="utf-8"))
            for event in doc.get("kundhandelser", []):
                part = event.get("part") or {}
                arende = part.get("arende")
                if arende and arende.get("identifierare"):
                    self.events.append((part["kund"]["identifierare"], event["kundhandelseTyp"],
                                        arende["identifierare"]))
        self.owner: dict[str, set[str]] = defaultdict(set)
        for kund, _typ, ref in self.events:
            self.owner[ref].add(kund)
        # Longest first, so that a reference that is part of a longer one is not reported on its own.
        self.references = sorted(self.owner, key=len, reverse=True)
        self._allowed: dict[tuple[str, str], frozenset[str]] = {}

    def allowed(self, user: str, party: str) -> frozenset[str] | None:
        """References ``user`` may see acting for the party named ``party``; None when they may not act for it."""
        key = (user, party)
        if key not in self._allowed:
            scope = self.scopes.get(user, {}).get(party)
            if scope is None:
                return None
            kund, codes = scope
            self._allowed[key] = frozenset(ref for k, typ, ref in self.events if k == kund and _covered(typ, codes))
        return self._allowed[key]

    def customer_of(self, user: str, party: str) -> str | None:
        scope = self.scopes.get(user, {}).get(party)
        return scope[0] if scope else None

    def found(self, body: str) -> set[str]:
        """Every known reference in the page's text (tags and their attributes removed, entities decoded)."""
        text = html.unescape(_TAG.sub("\n", body))
        out = set()
        for ref in self.references:
            if ref in text:
                out.add(ref)
                text = text.replace(ref, "\n")
        return out


# --- results ------------------------------------------------------------------------------------------------------

@dataclass
class Sample:
    t: float  # seconds since the run started
    done: int  # requests completed by then
    rss_kb: dict[int, int]  # worker pid -> VmRSS in kB


@dataclass
class LoadResult:
    sessions: int
    requests_per_session: int
    wall_s: float = 0.0
    statuses: Counter = field(default_factory=Counter)  # (kind, status) -> count
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # kind -> seconds
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    degraded_pages: int = 0  # pages with an "agency did not answer" notice (not an error: reported)
    switches: int = 0
    refs_seen: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # "user -> party" -> refs
    parties_checked: set[tuple[str, str]] = field(default_factory=set)  # (user, party) pairs seen acting
    parties_possible: int = 0  # (user, party) pairs in SCOPES for the identities the run used
    samples: list[Sample] = field(default_factory=list)
    max_growth: float = 0.20
    incomplete_sessions: int = 0

    # figures
    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]

    def p(self, q: float, kind: str | None = None) -> float:
        values = self.latencies.get(kind, []) if kind else self.all_latencies
        return percentile(values, q)

    @property
    def req_per_s(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    # memory
    def _total(self, sample: Sample | None) -> int | None:
        return sum(sample.rss_kb.values()) if sample and sample.rss_kb else None

    @property
    def rss_start_kb(self) -> int | None:
        return self._total(self.samples[0]) if self.samples else None

    @property
    def rss_mid_kb(self) -> int | None:
        total = self.sessions * self.requests_per_session
        first_half = [s for s in self.samples if s.done <= total / 2]
        return self._total(first_half[-1]) if first_half else None

    @property
    def rss_end_kb(self) -> int | None:
        return self._total(self.samples[-1]) if self.samples else None

    @property
    def rss_growth(self) -> float | None:
        mid, end = self.rss_mid_kb, self.rss_end_kb
        return (end - mid) / mid if mid and end is not None else None

    @property
    def memory_stable(self) -> bool | None:
        growth = self.rss_growth
        return None if growth is None else growth < self.max_growth

    @property
    def memory_rule(self) -> str:
        return MEMORY_RULE.format(factor=1 + self.max_growth)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.leaks and self.memory_stable is not False

    def table(self) -> str:
        """A plain-text summary."""
        def ms(x):
            return "-" if x != x else f"{x * 1000:.0f} ms"  # NaN -> "-"

        def mb(kb):
            return "-" if kb is None else f"{kb / 1024:.1f} MB"

        rows = [
            ("sessions x requests", f"{self.sessions} x {self.requests_per_session}"),
            ("requests", str(self.requests)),
            ("wall time", f"{self.wall_s:.1f} s"),
            ("req/s", f"{self.req_per_s:.1f}"),
            ("latency p50 / p95", f"{ms(self.p(50))} / {ms(self.p(95))}"),
        ]
        for kind in sorted(self.latencies):
            rows.append((f"  {kind}", f"n={len(self.latencies[kind])}  p50 {ms(self.p(50, kind))}  "
                                      f"p95 {ms(self.p(95, kind))}  max {ms(max(self.latencies[kind]))}"))
        rows += [
            ("party switches", str(self.switches)),
            ("user -> party pairs seen", f"{len(self.parties_checked)} of {self.parties_possible}, "
                                         f"{sum(len(v) for v in self.refs_seen.values())} distinct case references"),
            ("errors", str(len(self.errors))),
            ("leaks", str(len(self.leaks))),
            ("pages with an agency notice", str(self.degraded_pages)),
            ("RSS start / mid / end", f"{mb(self.rss_start_kb)} / {mb(self.rss_mid_kb)} / {mb(self.rss_end_kb)}"
                                      f"  (all workers, {len(self.samples)} samples)"),
            ("RSS growth 2nd half", "-" if self.rss_growth is None else
             f"{self.rss_growth * 100:+.1f}%  ({'stable' if self.memory_stable else 'NOT stable'}: "
             f"limit {self.max_growth * 100:.0f}%)"),
        ]
        if self.samples:
            pids = sorted({pid for s in self.samples for pid in s.rss_kb})
            per = ", ".join(f"{pid}: {mb(self.samples[0].rss_kb.get(pid))} -> {mb(self.samples[-1].rss_kb.get(pid))}"
                            for pid in pids)
            rows.append(("RSS per worker", per))
        width = max(len(k) for k, _ in rows)
        lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
        for title, items in (("errors", self.errors), ("leaks", self.leaks)):
            if items:
                lines.append(f"first {min(len(items), 10)} {title}:")
                lines += [f"  {x}" for x in items[:10]]
        return "\n".join(lines)


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


# --- memory -------------------------------------------------------------------------------------------------------

def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def sample_workers(master_pid: int) -> dict[int, int]:
    out = {}
    for pid in worker_pids(master_pid):
        kb = rss_kb(pid)
        if kb is not None:
            out[pid] = kb
    return out


# --- one simulated user -------------------------------------------------------------------------------------------

class _Run:
    """State shared by the user threads."""

    def __init__(self, base: str, oracle: Oracle, result: LoadResult, timeout: float, deadline: float):
        self.base = base
        self.oracle = oracle
        self.result = result
        self.timeout = timeout
        self.deadline = deadline
        self.lock = threading.Lock()
        self.done = 0
        self.start = threading.Event()

    def error(self, text: str) -> None:
        with self.lock:
            self.result.errors.append(text)

    def leak(self, text: str) -> None:
        with self.lock:
            self.result.leaks.append(text)


class _User:
    def __init__(self, run: _Run, index: int, pnr: str, name: str, switcher: bool, budget: int, seed: int):
        self.run = run
        self.label = f"{name.split()[0]}#{index}"  # no identity numbers in anything we report
        self.pnr = pnr
        self.name = name
        self.switcher = switcher
        self.budget = budget
        self.sent = 0
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.party = name  # whom the session acts for, as we expect it
        self.options: list[tuple[str, str]] = []  # (handle, party name) from the last full page
        self.form_token: str | None = None
        self.case_links: list[str] = []

    # transport
    def _request(self, kind: str, method: str, path: str, expect: int, **kwargs) -> requests.Response | None:
        if time.monotonic() > self.run.deadline:
            raise _OutOfTime
        self.sent += 1
        t0 = time.perf_counter()
        try:
            r = self.http.request(method, self.run.base + path, timeout=self.run.timeout, allow_redirects=False,
                                  **kwargs)
            _ = r.content
        except requests.RequestException as exc:
            elapsed = time.perf_counter() - t0
            self._record(kind, "exception", elapsed)
            self.run.error(f"{self.label} {kind} {_redact(path)}: {exc.__class__.__name__}: {str(exc)[:160]}")
            return None
        elapsed = time.perf_counter() - t0
        self._record(kind, r.status_code, elapsed)
        if r.status_code != expect:
            snippet = " ".join(_TAG.sub(" ", r.text).split())[:160]
            self.run.error(f"{self.label} {kind} {_redact(path)}: status {r.status_code}, expected {expect}: "
                           f"{snippet}")
            return None
        if expect == 302:
            where = urlsplit(r.headers.get("Location", "")).path
            if where != "/":
                self.run.error(f"{self.label} {kind}: redirected to {where!r}, expected '/'")
        return r

    def _record(self, kind: str, status, elapsed: float) -> None:
        with self.run.lock:
            self.run.result.statuses[(kind, status)] += 1
            self.run.result.latencies[kind].append(elapsed)
            self.run.done += 1

    # checks
    def _check_refs(self, kind: str, body: str, party: str) -> None:
        allowed = self.run.oracle.allowed(self.pnr, party)
        if allowed is None:
            self.run.leak(f"{self.label} {kind}: acting for {party!r}, which this user may not act for")
            return
        found = self.run.oracle.found(body)
        with self.run.lock:
            self.run.result.refs_seen[f"{self.name} -> {party}"] |= found & allowed
            self.run.result.parties_checked.add((self.pnr, party))
        kund = self.run.oracle.customer_of(self.pnr, party)
        for ref in sorted(found - allowed):
            owners = self.run.oracle.owner[ref]
            what = "scope" if kund in owners else "party"
            self.run.leak(f"{self.label} {kind} acting for {party!r}: {what} leak, reference {ref!r} "
                          f"(customer {'/'.join(sorted(_public(o) for o in owners))})")

    def _check_page(self, kind: str, r: requests.Response) -> None:
        body = r.text
        if _WARNING in body:
            with self.run.lock:
                self.run.result.degraded_pages += 1
        user = _USER_NAME.search(body)
        party = _PARTY_NAME.search(body)
        token = _CSRF.search(body)
        if user is None or party is None or token is None:
            missing = [n for n, m in (("header user", user), ("party bar", party), ("csrf_token", token)) if m is None]
            self.run.error(f"{self.label} {kind}: page without {', '.join(missing)}")
            return
        shown_user = " ".join(html.unescape(user.group(1)).split())
        shown_party = " ".join(html.unescape(party.group(1)).split())
        if shown_user != self.name:
            self.run.leak(f"{self.label} {kind}: header shows user {shown_user!r}, expected {self.name!r}")
        if shown_party != self.party:
            self.run.leak(f"{self.label} {kind}: party bar shows {shown_party!r}, expected {self.party!r}")
        self._check_refs(kind, body, shown_party)
        if shown_party != self.party:
            self._check_refs(kind + " (expected party)", body, self.party)
        form = _PARTY_FORM.search(body)
        form_token = _CSRF.search(form.group(1)) if form else None
        self.form_token = (form_token or token).group(1)
        select = _SELECT.search(body)
        self.options = []
        if select:
            for handle, label in _OPTION.findall(select.group(1)):
                self.options.append((handle, " ".join(html.unescape(label).split()).rsplit(" – ", 1)[0]))

    # actions
    def login(self) -> bool:
        r = self._request("login form", "GET", "/login", 200)
        if r is None:
            return False
        token = _CSRF.search(r.text)
        if token is None:
            self.run.error(f"{self.label}: no csrf_token on /login")
            return False
        r = self._request("login", "POST", "/login", 302, data={"csrf_token": token.group(1),
                                                                "personnummer": self.pnr})
        return r is not None and self.overview()

    def overview(self) -> bool:
        r = self._request("overview", "GET", "/", 200)
        if r is None:
            return False
        self._check_page("overview", r)
        self.case_links = sorted(set(_CASE_LINK.findall(r.text)))
        return True

    def case(self) -> bool:
        if not self.case_links:
            return self.overview()
        r = self._request("case", "GET", self.rng.choice(self.case_links), 200)
        if r is None:
            return False
        self._check_page("case", r)
        return True

    def search(self) -> bool:
        q = self.rng.choice(QUERIES)
        r = self._request("htmx search", "GET", "/", 200, params={"q": q}, headers={"HX-Request": "true"})
        if r is None:
            return False
        if "party-bar" in r.text or "<html" in r.text:
            self.run.error(f"{self.label} htmx search: a whole page, expected the fragment")
        if _WARNING in r.text:
            with self.run.lock:
                self.run.result.degraded_pages += 1
        self._check_refs("htmx search", r.text, self.party)
        return True

    def switch(self) -> bool:
        others = [(h, n) for h, n in self.options if n != self.party]
        if not others or not self.form_token:
            return self.overview()
        handle, name = self.rng.choice(others)
        r = self._request("act-as", "POST", "/act-as", 302, data={"party": handle, "csrf_token": self.form_token})
        if r is None:
            return False
        self.party = name
        self.case_links = []
        with self.run.lock:
            self.run.result.switches += 1
        return self.overview()  # the browser follows the redirect

    def step(self) -> bool:
        roll = self.rng.random()
        if self.switcher and roll < 0.10:
            return self.switch()
        if roll < 0.45:
            return self.overview()
        if roll < 0.75:
            return self.case()
        return self.search()

    def run_all(self) -> None:
        self.run.start.wait()
        try:
            logged_in = False
            while self.sent < self.budget:
                if not logged_in:  # a failed log-in is tried again, as a person would
                    logged_in = self.login()
                elif not self.step() and self.sent < self.budget:
                    self.overview()  # after an error, start over from the overview (a user would reload)
        except _OutOfTime:
            with self.run.lock:
                self.run.result.incomplete_sessions += 1
        except Exception as exc:  # a bug in this harness must show up as an error, not a silent thread death
            self.run.error(f"{self.label}: harness {exc.__class__.__name__}: {exc}")
        finally:
            self.http.close()


class _OutOfTime(Exception):
    pass


def _redact(path: str) -> str:
    return re.sub(r"/arende/[^/?#]+", "/arende/<handle>", path)


def _public(identifier: str) -> str:
    """Organisation numbers are public; a person is named, never numbered (the run's output is scanned)."""
    if identifier.startswith("16"):
        return identifier
    try:
        people = json.loads((DATA_DIR / "_identiteter.json").read_text(encoding="utf-8"))["identiteter"]
        return next(p["namn"] for p in people if p["pnr"] == identifier)
    except (OSError, KeyError, StopIteration, ValueError):
        return "a person"


def prime_users(portal_url: str, pnrs: list[str], timeout: float = 30.0) -> None:
    """Log each person in once, one after the other, so that the portal has met them all before the load.

    BUG (reported; test_load.py::test_first_logins_of_one_person_at_once reproduces it): the first log-ins of one
    person at the same moment race in ``Store.user_for`` (select, then insert): all but one answer 500
    (``sqlite3.IntegrityError: UNIQUE constraint failed: users.pnr``). 50 sessions of six people logging in at
    once hit it every time. Later log-ins find the user and are not affected, so priming keeps the load run about
    serving; ``prime=False`` shows the bug.
    """
    for pnr in pnrs:
        with requests.Session() as http:
            form = http.get(portal_url + "/login", timeout=timeout)
            token = _CSRF.search(form.text)
            r = http.post(portal_url + "/login", data={"csrf_token": token.group(1) if token else "",
                                                       "personnummer": pnr}, allow_redirects=False, timeout=timeout)
            if r.status_code != 302:
                raise RuntimeError(f"priming log-in answered {r.status_code}")


# --- the run ------------------------------------------------------------------------------------------------------

def run_load(portal_url: str, sessions: int, requests_per_session: int, *, master_pid: int | None = None,
             seed: int = 1, timeout: float = 30.0, max_duration: float = 600.0, sample_interval: float = 0.25,
             max_growth: float = 0.20, server_log: str | Path | None = None, oracle: Oracle | None = None,
             identities: list[tuple[str, str]] = IDENTITIES, prime: bool = True) -> LoadResult:
    """Run ``sessions`` simulated users with ``requests_per_session`` requests each against ``portal_url``.

    ``portal_url`` must be a loopback address. ``master_pid`` (gunicorn's master) turns on the RSS sampling.
    ``max_duration`` bounds the run even if the server hangs: users stop sending after it and count as
    incomplete (an error). ``server_log``: the portal's log file; trouble it gains during the run is an error.
    ``prime``: log every identity in once, one after the other, before the run (not counted); see
    ``prime_users`` for why.
    """
    host = urlsplit(portal_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load runs go to loopback only, not {host!r}")
    if requests_per_session < 4:
        raise ValueError("each session needs at least 4 requests (log-in form, log-in, overview, one more)")
    oracle = oracle or Oracle()
    result = LoadResult(sessions, requests_per_session, max_growth=max_growth)
    used = {identities[i % len(identities)][0] for i in range(sessions)}
    result.parties_possible = sum(len(oracle.scopes.get(pnr, {})) for pnr in used)
    if prime:
        prime_users(portal_url, sorted(used), timeout)
    log_offset = Path(server_log).stat().st_size if server_log else 0
    run = _Run(portal_url.rstrip("/"), oracle, result, timeout, deadline=float("inf"))
    users = []
    seen_per_identity: Counter = Counter()
    for i in range(sessions):
        pnr, name = identities[i % len(identities)]
        several = len(oracle.scopes.get(pnr, {})) > 1
        switcher = several and seen_per_identity[pnr] % 2 == 0  # every other session of Karin and Eva switches
        seen_per_identity[pnr] += 1
        users.append(_User(run, i, pnr, name, switcher, requests_per_session, seed * 100_003 + i))

    stop_sampling = threading.Event()
    t0 = time.monotonic()
    workers_at_start: set[int] = set()

    def sample() -> None:
        with run.lock:
            done = run.done
        result.samples.append(Sample(round(time.monotonic() - t0, 3), done, sample_workers(master_pid)))

    def sampler() -> None:
        while not stop_sampling.wait(sample_interval):
            sample()

    if master_pid is not None:
        sample()
        workers_at_start = set(result.samples[0].rss_kb)
        sampling = threading.Thread(target=sampler, name="rss-sampler", daemon=True)
        sampling.start()
    threads = [threading.Thread(target=u.run_all, name=f"user-{u.label}", daemon=True) for u in users]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    run.deadline = t0 + max_duration
    run.start.set()
    for t in threads:
        t.join(max(0.0, run.deadline + 2 * timeout - time.monotonic()))
    result.wall_s = time.monotonic() - t0
    hung = [t.name for t in threads if t.is_alive()]
    if master_pid is not None:
        stop_sampling.set()
        sampling.join()
        sample()  # the end of the run
        gone = workers_at_start - set(result.samples[-1].rss_kb)
        if gone:
            result.errors.append(f"gunicorn worker(s) {sorted(gone)} exited during the run")
    if hung:
        result.errors.append(f"{len(hung)} user thread(s) still running after the deadline")
    if result.incomplete_sessions:
        result.errors.append(f"{result.incomplete_sessions} session(s) stopped at the {max_duration:.0f} s deadline")
    if server_log:
        with open(server_log, "rb") as fh:
            fh.seek(log_offset)
            text = fh.read().decode("utf-8", errors="replace")
        trouble = [line.strip() for line in text.splitlines() if _SERVER_TROUBLE.search(line)]
        for line in trouble[:20]:
            result.errors.append(f"server log: {line[:300]}")
        if len(trouble) > 20:
            result.errors.append(f"server log: {len(trouble) - 20} more such lines")
    return result


# --- the servers --------------------------------------------------------------------------------------------------

# Every session logs in from 127.0.0.1: the per-address log-in limit (10 per minute) would refuse most of them.
LOAD_SETTINGS = {"login_rate_limit": "100000 per minute"}


def start_portal(mock_url: str, workdir: Path, workers: int = 2, **settings):
    """``PortalServer`` (tests/portalserver.py) with ``workers`` workers, and wait until every one has booted."""
    from portalserver import PortalServer

    server = PortalServer(mock_url, Path(workdir), workers=workers, **{**LOAD_SETTINGS, **settings})
    deadline = time.monotonic() + 20  # PortalServer returns at the first answer: wait for every worker
    while len(worker_pids(server.proc.pid)) < workers:
        if time.monotonic() > deadline or server.proc.poll() is not None:
            log = server.stop()
            raise RuntimeError(f"gunicorn did not start {workers} workers:\n{log[-3000:]}")
        time.sleep(0.1)
    return server

