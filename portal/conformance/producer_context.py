"""What the producer checks share: the context, the customers, reading answers, sort orders."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from portal.standard import tidpunkt
from portal.standard.identity import Identity
from portal.standard.query import swedish_key

from .client import Client, Exchange
from .report import Battery, Evidence

OPERATION = "/kundhandelseFragaSynkron"
TEXT_ATTRIBUTES = {"RUBRIK": "rubrik", "BESKRIVNING": "beskrivning", "PRODUCENT": "producent"}
FLAG_ATTRIBUTES = {"PRODUCENTARENDETKRAVERKUNDATGARD": "producentarendetKraverKundatgard",
                   "PRODUCENTARENDETKLART": "producentarendetKlart"}
MULTI_SORTS = ((("PRODUCENTARENDETKLART", True), ("TIDPUNKT", False)),
               (("PRODUCENTARENDETKRAVERKUNDATGARD", False), ("KUNDHANDELSETYP", True)))
PAGINGS = ((("TIDPUNKT", True),), 2), ((("PRODUCENTARENDETKLART", True),), 3)
MAX_PAGES = 60
ASKED_LANGUAGE = "sv"  # sent as Accept-Language with the baseline, to see it echoed as metadata.onskatSprak
NO_SUCH_TAG = "konformans-ingen-sadan-tagg"
NO_SUCH_PREFIX = "KONFORMANSFINNSINTE"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")

battery = Battery()
check = battery.check


class Unusable(ValueError):
    """An answer the semantic checks cannot read (wrong status or shape)."""


@dataclass
class Customer:
    ident: Identity
    anvandare: str
    baseline: Exchange | None = None

    @property
    def part(self) -> dict:
        return {"kund": self.ident.as_kund()}

    @property
    def label(self) -> str:
        return f"customer {self.ident.digits}"


@dataclass
class ProducerContext:
    client: Client
    customers: list[Customer]
    max_p95: float = 2.0
    _cache: dict = field(default_factory=dict)

    # -- asking -------------------------------------------------------------------------------------------
    def body(self, cust: Customer, *, parter=None, **fraga) -> dict:
        parter = [cust.part] if parter is None else parter
        return {"fraga": {"parter": parter, **fraga}, "anvandare": cust.anvandare}

    def ask(self, cust: Customer, label: str, *, headers: dict | None = None, **fraga) -> Exchange:
        return self.client.call(OPERATION, self.body(cust, **fraga), label=label, headers=headers)

    def cached(self, key, make: Callable):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def first(self) -> Customer:
        return self.customers[0]

    def baseline(self, cust: Customer) -> list[dict] | None:
        """The customer's unfiltered, unpaged answer (events of the asked part), None when unusable."""
        if cust.baseline is None:
            cust.baseline = self.ask(cust, "baseline: no filter, no paging",
                                     headers={"Accept-Language": ASKED_LANGUAGE})
        try:
            return events_of(cust.baseline)
        except Unusable:
            return None

    def with_data(self, ev: Evidence) -> list[tuple[Customer, list[dict]]]:
        """Customers whose baseline answer has events; records a skip reason when there are none."""
        usable = [(c, events) for c in self.customers if (events := self.baseline(c))]
        if not usable:
            ev.skip("no customer has events (or no usable baseline answer): give --customer with data")
        return usable

    def sorted_answer(self, cust: Customer, sorting: tuple) -> Exchange:
        return self.cached(("sorted", cust.ident.digits, sorting), lambda: self.ask(
            cust, "sorted " + sort_label(sorting), behandling={"sortering": sort_json(sorting)}))

    def pages(self, cust: Customer, sorting: tuple, limit: int, count: int) -> list[Exchange]:
        """Pages of ``limit`` for the sorted query, until ``count`` events are covered (plus one past the end)."""
        def fetch():
            return [self.ask(cust, f"page offset={offset} limit={limit} sorted {sort_label(sorting)}",
                             behandling={"sortering": sort_json(sorting),
                                         "paginering": {"offset": offset, "limit": limit}})
                    for offset in range(0, count + limit, limit)]
        return self.cached(("pages", cust.ident.digits, sorting, limit), fetch)

    def answers(self) -> list[Exchange]:
        """Every answered query (200/206) the kit sent a JSON body for."""
        return [x for x in self.client.log if x.status in (200, 206) and x.sent is not None]


# -- reading answers -----------------------------------------------------------------------------------------

def events_of(ex: Exchange, part_index: int = 0) -> list[dict]:
    """The raw events answered for one asked part; Unusable when the answer cannot be read."""
    if ex.status != 200:
        raise Unusable(f"{ex.brief()}: expected 200")
    body = ex.json
    if not isinstance(body, dict) or not isinstance(body.get("kundhandelser"), list):
        raise Unusable(f"{ex.brief()}: no 'kundhandelser' list")
    if len(body["kundhandelser"]) <= part_index:
        raise Unusable(f"{ex.brief()}: no entry for asked part {part_index}")
    entry = body["kundhandelser"][part_index]
    events = entry.get("kundhandelserForPart") if isinstance(entry, dict) else None
    if not isinstance(events, list):
        raise Unusable(f"{ex.brief()}: kundhandelser[{part_index}] has no 'kundhandelserForPart' list")
    return [e for e in events if isinstance(e, dict)]


def total_of(ex: Exchange, part_index: int = 0):
    try:
        return ex.json["kundhandelser"][part_index]["totaltAntalKundhandelser"]
    except (TypeError, KeyError, IndexError):
        return None


def ids(events: list[dict]) -> list:
    return [e.get("kundhandelseId") for e in events]


def when(event: dict) -> dt.datetime | None:
    try:
        return tidpunkt.parse(event.get("tidpunkt"))
    except tidpunkt.InvalidTidpunkt:
        return None


def local_day(event: dict) -> dt.date | None:
    moment = when(event)
    return tidpunkt.local_date(moment) if moment else None


def sort_json(sorting: tuple) -> list[dict]:
    return [{"attribut": a, "stigande": s} for a, s in sorting]


def sort_label(sorting: tuple) -> str:
    return ", ".join(f"{a} {'ascending' if s else 'descending'}" for a, s in sorting)


def same_members(got: list[dict], expected: list[dict]) -> bool:
    return sorted(map(str, ids(got))) == sorted(map(str, ids(expected)))


def members_line(what: str, got: list[dict], expected: list[dict]) -> str:
    extra = sorted(set(map(str, ids(got))) - set(map(str, ids(expected))))
    missing = sorted(set(map(str, ids(expected))) - set(map(str, ids(got))))
    return (f"{what}: {len(got)} events, expected {len(expected)} from the baseline"
            + (f"; unexpected {extra[:5]}" if extra else "") + (f"; missing {missing[:5]}" if missing else ""))


def accent_insensitive_key(text: str) -> str:
    """A database collation such as MySQL's ``utf8mb4_0900_ai_ci``: no case, no accents (Ä sorts as A)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


# Sort keys. Text order is a producer's database collation, which the standard does not fix: a consumer must not
# rely on it. These are the collations the kit recognises; Swedish order (å, ä, ö after z) is only recommended.
COLLATIONS = {"Swedish": swedish_key, "accent-insensitive": accent_insensitive_key,
              "case-insensitive": str.casefold, "code point": lambda s: s}


def key_function(attribut: str, collation=swedish_key):
    if attribut in TEXT_ATTRIBUTES:
        name = TEXT_ATTRIBUTES[attribut]
        return lambda e: collation(e.get(name) if isinstance(e.get(name), str) else "")
    if attribut in FLAG_ATTRIBUTES:
        name = FLAG_ATTRIBUTES[attribut]
        return lambda e: bool(e.get(name))
    if attribut == "TIDPUNKT":
        return when
    # A type code is text in the producer's database too: "_" sorts before or after letters by collation.
    return lambda e: collation(e.get("kundhandelseTyp") if isinstance(e.get("kundhandelseTyp"), str) else "")


def order_problem(events: list[dict], sorting: tuple, collation=swedish_key) -> str | None:
    """The first adjacent pair out of order (as text), or None when ``events`` respect ``sorting``."""
    keys = [(key_function(a, collation), key_function(a, lambda text: text), s) for a, s in sorting]
    for i in range(len(events) - 1):
        a, b = events[i], events[i + 1]
        for key, shown, ascending in keys:
            ka, kb = key(a), key(b)
            if ka is None or kb is None or ka == kb:
                continue
            if (ka > kb) if ascending else (ka < kb):
                return (f"{a.get('kundhandelseId')} ({shown(a)!s:.40}) came before {b.get('kundhandelseId')} "
                        f"({shown(b)!s:.40}) at position {i}")
            break
    return None


def is_sorted_any_collation(events: list[dict], sorting: tuple) -> str | None:
    """None when ``events`` are in order by some recognised collation, else the Swedish-order problem."""
    return None if fitting_collations(events, sorting) else order_problem(events, sorting)


def fitting_collations(events: list[dict], sorting: tuple) -> list[str]:
    """The names of the recognised collations ``events`` are sorted by (several when the data cannot tell)."""
    return [name for name, c in COLLATIONS.items() if order_problem(events, sorting, c) is None]


def sorts_text(sorting: tuple) -> bool:
    return any(a in TEXT_ATTRIBUTES for a, _ in sorting)


# -- the checks, in the order they run ------------------------------------------------------------------------
