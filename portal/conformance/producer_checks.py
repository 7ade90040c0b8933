"""The battery for a producer's ``kundhandelseFragaSynkron``.

The kit does not know the producer's data, so semantics are checked for
consistency between queries: an unfiltered, unpaged answer per customer (the
baseline) against filtered, sorted and paged answers for the same customer.
Checks that look back over every answer (schemas, error bodies, times) run last.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Callable

from portal.standard import schemas, tidpunkt
from portal.standard.eventtypes import matches_any
from portal.standard.identity import Identity
from portal.standard.models import Part
from portal.standard.query import MAX_LIMIT, MAX_PARTER, MAX_TAGGAR, MAX_TYPER, SORT_ATTRIBUTES, swedish_key

from .client import Client, Exchange, percentile
from .report import RECOMMENDED, REQUIRED, Battery, Evidence, Report

OPERATION = "/kundhandelseFragaSynkron"
TEXT_ATTRIBUTES = {"RUBRIK": "rubrik", "BESKRIVNING": "beskrivning", "PRODUCENT": "producent"}
FLAG_ATTRIBUTES = {"PRODUCENTARENDETKRAVERKUNDATGARD": "producentarendetKraverKundatgard",
                   "PRODUCENTARENDETKLART": "producentarendetKlart"}
MULTI_SORTS = ((("PRODUCENTARENDETKLART", True), ("TIDPUNKT", False)),
               (("PRODUCENTARENDETKRAVERKUNDATGARD", False), ("KUNDHANDELSETYP", True)))
PAGINGS = ((("TIDPUNKT", True),), 2), ((("PRODUCENTARENDETKLART", True),), 3)
MAX_PAGES = 60
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

    def ask(self, cust: Customer, label: str, **fraga) -> Exchange:
        return self.client.call(OPERATION, self.body(cust, **fraga), label=label)

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
            cust.baseline = self.ask(cust, "baseline: no filter, no paging")
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


# Sort keys. Text order is not fixed by the standard: any of these collations is accepted as "sorted";
# Swedish order (å, ä, ö after z) is checked on its own as a recommendation.
COLLATIONS = {"Swedish": swedish_key, "case-insensitive": str.casefold, "code point": lambda s: s}


def key_function(attribut: str, collation=swedish_key):
    if attribut in TEXT_ATTRIBUTES:
        name = TEXT_ATTRIBUTES[attribut]
        return lambda e: collation(e.get(name) if isinstance(e.get(name), str) else "")
    if attribut in FLAG_ATTRIBUTES:
        name = FLAG_ATTRIBUTES[attribut]
        return lambda e: bool(e.get(name))
    if attribut == "TIDPUNKT":
        return when
    return lambda e: e.get("kundhandelseTyp") if isinstance(e.get("kundhandelseTyp"), str) else ""


def order_problem(events: list[dict], sorting: tuple, collation=swedish_key) -> str | None:
    """The first adjacent pair out of order (as text), or None when ``events`` respect ``sorting``."""
    keys = [(key_function(a, collation), s) for a, s in sorting]
    for i in range(len(events) - 1):
        a, b = events[i], events[i + 1]
        for key, ascending in keys:
            ka, kb = key(a), key(b)
            if ka is None or kb is None or ka == kb:
                continue
            if (ka > kb) if ascending else (ka < kb):
                return (f"{a.get('kundhandelseId')} ({ka!s:.40}) came before {b.get('kundhandelseId')} ({kb!s:.40}) "
                        f"at position {i}")
            break
    return None


def is_sorted_any_collation(events: list[dict], sorting: tuple) -> str | None:
    problems = [order_problem(events, sorting, c) for c in COLLATIONS.values()]
    return None if any(p is None for p in problems) else problems[0]


# -- the checks, in the order they run ------------------------------------------------------------------------

@check("query.accepted", REQUIRED, "A valid query for each customer is answered 200 with a readable answer")
def query_accepted(ctx: ProducerContext, ev: Evidence):
    for cust in ctx.customers:
        ctx.baseline(cust)
        ex = cust.baseline
        try:
            events = events_of(ex)
        except Unusable as exc:
            hint = ": the producer does not let anvandare see this customer (give --anvandare)" \
                if ex.status == 403 else ""
            ev.bad(f"{cust.label}: {exc}{hint}")
        else:
            ev.ok(f"{cust.label}: {ex.brief()}, {len(events)} events")


@check("auth.missing-key", REQUIRED, "A query without the API key is refused with 401")
def auth_missing_key(ctx: ProducerContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, ctx.body(ctx.first), label="no API key", key=None)
    ev.expect(ex.status == 401, f"{ex.brief()}, expected 401")


@check("auth.wrong-key", REQUIRED, "A query with a wrong API key is refused with 401")
def auth_wrong_key(ctx: ProducerContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, ctx.body(ctx.first), label="wrong API key",
                         key="konformans-fel-nyckel-" + uuid.uuid4().hex)
    ev.expect(ex.status == 401, f"{ex.brief()}, expected 401")


@check("header.correlation-id", REQUIRED,
       "skv_client_correlation_id is required (1-200 printable ASCII): missing, empty or too long is 400")
def correlation_id(ctx: ProducerContext, ev: Evidence):
    for label, value in (("no skv_client_correlation_id", None), ("empty skv_client_correlation_id", ""),
                         ("skv_client_correlation_id of 201 characters", "x" * 201)):
        ex = ctx.client.call(OPERATION, ctx.body(ctx.first), label=label, correlation=value)
        ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


@check("errors.method", REQUIRED, "Another method than POST is refused with 405")
def wrong_method(ctx: ProducerContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, None, label="GET instead of POST", method="GET", content_type=None)
    ev.expect(ex.status == 405, f"{ex.brief()}, expected 405")


@check("errors.media-type", REQUIRED, "A body that is not application/json is refused with 415")
def wrong_media_type(ctx: ProducerContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, None, label="Content-Type text/plain", content_type="text/plain",
                         data=json.dumps(ctx.body(ctx.first)))
    ev.expect(ex.status == 415, f"{ex.brief()}, expected 415")


@check("errors.unknown-path", REQUIRED, "An unknown path is answered 404")
def unknown_path(ctx: ProducerContext, ev: Evidence):
    ex = ctx.client.call(OPERATION + "FinnsInte", ctx.body(ctx.first), label="unknown path")
    ev.expect(ex.status == 404, f"{ex.brief()}, expected 404")


@check("errors.bad-request", REQUIRED, "Malformed and invalid queries are refused with 400")
def bad_request(ctx: ProducerContext, ev: Evidence):
    cust = ctx.first
    good = ctx.body(cust)
    cases = [
        ("body is not JSON", None, '{"fraga": '),
        ("body is a JSON list", None, "[]"),
        ("no fraga.parter", {"fraga": {}, "anvandare": cust.anvandare}, None),
        ("empty fraga.parter", {"fraga": {"parter": []}, "anvandare": cust.anvandare}, None),
        ("no anvandare", {"fraga": good["fraga"]}, None),
        ("unknown sort attribute", ctx.body(cust, behandling={"sortering": [{"attribut": "FARG"}]}), None),
        ("startDatum is not a date", ctx.body(cust, startDatum="2026-13-45"), None),
        ("kund.identifierare is not 12 digits", ctx.body(cust, parter=[{"kund": {"identifierare": "123",
                                                                               "typ": "Personnummer"}}]), None),
    ]
    for label, body, data in cases:
        ex = ctx.client.call(OPERATION, body, label=label, data=data)
        ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


@check("paging.requires-sorting", REQUIRED, "Paging without sorting is refused with 400")
def paging_requires_sorting(ctx: ProducerContext, ev: Evidence):
    ex = ctx.ask(ctx.first, "paginering without sortering", behandling={"paginering": {"offset": 0, "limit": 2}})
    ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


def _limit_queries(cust: Customer, over: int) -> list[tuple[str, dict]]:
    n_parter, n_types, n_tags, limit = (MAX_PARTER + over, MAX_TYPER + over, MAX_TAGGAR + over, MAX_LIMIT + over)
    return [
        (f"{n_parter} parter", {"parter": [cust.part] * n_parter}),
        (f"{n_types} kundhandelseTyper", {"kundhandelseTyper": [f"KONFORMANS.T{i:03d}" for i in range(n_types)]}),
        (f"{n_tags} taggar", {"taggar": [f"konformans-{i}" for i in range(n_tags)]}),
        (f"limit {limit}", {"behandling": {"sortering": [{"attribut": "TIDPUNKT", "stigande": False}],
                                            "paginering": {"offset": 0, "limit": limit}}}),
    ]


@check("limits.max", REQUIRED, "Over the limits (101 parter, 101 types, 101 tags, limit 1001) is refused with 400")
def limits_max(ctx: ProducerContext, ev: Evidence):
    for label, fraga in _limit_queries(ctx.first, 1):
        ex = ctx.ask(ctx.first, label, **fraga)
        ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


@check("limits.at-limit", REQUIRED, "At the limits (100 parter, 100 types, 100 tags, limit 1000) the query is answered")
def limits_at(ctx: ProducerContext, ev: Evidence):
    for label, fraga in _limit_queries(ctx.first, 0):
        ex = ctx.ask(ctx.first, label, **fraga)
        ev.expect(ex.status == 200, f"{ex.brief()}, expected 200")


@check("semantics.default-order", REQUIRED, "Without sorting, events come newest first")
def default_order(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        problem = order_problem(events, (("TIDPUNKT", False),))
        ev.expect(problem is None, f"{cust.label}, baseline of {len(events)} events: "
                                   + (problem or "newest first"))


@check("semantics.type-prefix", REQUIRED,
       "kundhandelseTyper filters by prefix at a segment boundary, consistently with the unfiltered answer")
def type_prefix(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        types = list(dict.fromkeys(e.get("kundhandelseTyp") for e in events
                                   if isinstance(e.get("kundhandelseTyp"), str)))
        askings: list[list[str]] = [[NO_SUCH_PREFIX]]
        if types:
            case_types = list(dict.fromkeys(t.rsplit(".", 1)[0] for t in types))
            askings += [[types[0].split(".")[0]], [case_types[0]], [types[0]], case_types[:2]]
            cut = next((t for t in types if len(t.rsplit(".", 1)[-1]) > 1), None)
            if cut:
                askings.append([cut[:-1]])  # a string prefix that is no segment boundary
        for prefixes in askings:
            ex = ctx.ask(cust, f"kundhandelseTyper={prefixes}", kundhandelseTyper=prefixes)
            got = events_of(ex)
            wrong = [e for e in got if not matches_any(str(e.get("kundhandelseTyp")), prefixes)]
            expected = [e for e in events if matches_any(str(e.get("kundhandelseTyp")), prefixes)]
            ok = not wrong and same_members(got, expected)
            detail = (f"; types outside the prefixes: {sorted({str(e.get('kundhandelseTyp')) for e in wrong})[:5]}"
                      if wrong else "")
            ev.expect(ok, f"{cust.label}: " + members_line(f"kundhandelseTyper={prefixes}", got, expected) + detail)


@check("semantics.tags", REQUIRED,
       "taggar returns events with at least one asked tag, consistently with the unfiltered answer")
def tags(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        known = list(dict.fromkeys(t for e in events for t in (e.get("taggar") or []) if isinstance(t, str)))
        askings = [[NO_SUCH_TAG]] + ([known[:1]] if known else []) + ([known[:2]] if len(known) > 1 else [])
        for asked in askings:
            ex = ctx.ask(cust, f"taggar={asked}", taggar=asked)
            got = events_of(ex)
            wrong = [e for e in got if not set(asked) & set(e.get("taggar") or [])]
            expected = [e for e in events if set(asked) & set(e.get("taggar") or [])]
            detail = f"; events without an asked tag: {ids(wrong)[:5]}" if wrong else ""
            ev.expect(not wrong and same_members(got, expected),
                      f"{cust.label}: " + members_line(f"taggar={asked}", got, expected) + detail)


@check("semantics.dates", REQUIRED,
       "startDatum/slutDatum are inclusive Swedish local dates, consistently with the unfiltered answer")
def dates(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        days = sorted(d for e in events if (d := local_day(e)) is not None)
        if not days:
            continue
        mid = days[len(days) // 2]
        for start, slut in ((mid, mid), (mid, None), (None, mid), (days[0], days[-1])):
            fraga = {k: v.isoformat() for k, v in (("startDatum", start), ("slutDatum", slut)) if v}
            ex = ctx.ask(cust, " ".join(f"{k}={v}" for k, v in fraga.items()), **fraga)
            got = events_of(ex)

            def inside(e, start=start, slut=slut):
                d = local_day(e)
                return d is not None and (start is None or d >= start) and (slut is None or d <= slut)
            wrong = [e for e in got if not inside(e)]
            expected = [e for e in events if inside(e)]
            detail = (f"; outside the window: {[(e.get('kundhandelseId'), e.get('tidpunkt')) for e in wrong][:3]}"
                      if wrong else "")
            ev.expect(not wrong and same_members(got, expected),
                      f"{cust.label}: " + members_line(str(fraga), got, expected) + detail)


def _sortings() -> list[tuple]:
    return [((a, s),) for a in SORT_ATTRIBUTES for s in (True, False)] + list(MULTI_SORTS)


@check("semantics.sort-order", REQUIRED, "sortering orders by each attribute and direction and keeps every event")
def sort_order(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        good = 0
        for sorting in _sortings():
            got = events_of(ctx.sorted_answer(cust, sorting))
            problem = is_sorted_any_collation(got, sorting)
            if problem or not same_members(got, events):
                ev.bad(f"{cust.label}, sorted {sort_label(sorting)}: "
                       + (problem or members_line("members", got, events)))
            else:
                good += 1
        if good:
            ev.ok(f"{cust.label}: {good} sortings of {len(events)} events in order "
                  f"(every attribute both ways, and {len(MULTI_SORTS)} two-attribute sortings)")


@check("semantics.swedish-order", RECOMMENDED,
       "Text attributes sort in Swedish order (å, ä, ö after z, case-insensitive)")
def swedish_order(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        for attribut in TEXT_ATTRIBUTES:
            for ascending in (True, False):
                sorting = ((attribut, ascending),)
                problem = order_problem(events_of(ctx.sorted_answer(cust, sorting)), sorting)
                ev.expect(problem is None, f"{cust.label}, sorted {sort_label(sorting)}: {problem or 'Swedish order'}")


def _paged(ctx: ProducerContext, cust: Customer, sorting: tuple, limit: int):
    """(unpaged sorted events, page size, pages) for one paging scenario; pages grow to stay within MAX_PAGES."""
    whole = events_of(ctx.sorted_answer(cust, sorting))
    limit = max(limit, -(-len(whole) // (MAX_PAGES - 1)))
    return whole, limit, ctx.pages(cust, sorting, limit, len(whole))


@check("paging.consistency", REQUIRED, "Pages concatenated equal the unpaged sorted answer; past the end is empty")
def paging_consistency(ctx: ProducerContext, ev: Evidence):
    for cust, _ in ctx.with_data(ev):
        for sorting, limit in PAGINGS:
            whole, limit, pages = _paged(ctx, cust, sorting, limit)
            joined = [e for p in pages for e in events_of(p)]
            label = f"{cust.label}, pages of {limit} sorted {sort_label(sorting)}"
            if ids(joined) == ids(whole):
                ev.ok(f"{label}: {len(pages)} pages give the same {len(whole)} events in the same order")
            else:
                ev.bad(f"{label}: pages give {ids(joined)[:12]}, the unpaged answer {ids(whole)[:12]}")
            last = events_of(pages[-1])
            ev.expect(not last, f"{label}: the page past the end has {len(last)} events, expected none")


@check("paging.totals", REQUIRED,
       "totaltAntalKundhandelser counts before paging: equal on every page and to the unpaged count")
def paging_totals(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        total = total_of(cust.baseline)
        ev.expect(total == len(events), f"{cust.label}, baseline: total {total}, {len(events)} events returned")
        for sorting, limit in PAGINGS:
            whole, limit, pages = _paged(ctx, cust, sorting, limit)
            totals = [total_of(p) for p in pages]
            ok = all(t == len(whole) for t in totals)
            ev.expect(ok, f"{cust.label}, pages of {limit} sorted {sort_label(sorting)}: totals {totals}, "
                          f"expected {len(whole)} on every page")


@check("semantics.part", REQUIRED,
       "Each answer has one entry per asked part, in order, echoing it; events concern that part; no duplicates")
def parts(ctx: ProducerContext, ev: Evidence):
    checked = 0
    for ex in ctx.answers():
        asked = ex.sent["fraga"].get("parter") or []
        body = ex.json
        entries = body.get("kundhandelser") if isinstance(body, dict) else None
        if not isinstance(entries, list) or len(entries) != len(asked):
            ev.bad(f"{ex.brief()}: {len(entries) if isinstance(entries, list) else 'no'} entries "
                   f"for {len(asked)} asked parts")
            continue
        for i, (entry, part) in enumerate(zip(entries, asked)):
            if not isinstance(entry, dict) or entry.get("part") != part:
                ev.bad(f"{ex.brief()}: kundhandelser[{i}].part does not echo the asked part")
                continue
            events = entry.get("kundhandelserForPart") if isinstance(entry.get("kundhandelserForPart"), list) else []
            asked_part = Part.from_json(part)
            foreign = [e.get("kundhandelseId") for e in events if not _covers(asked_part, e)]
            if foreign:
                ev.bad(f"{ex.brief()}: kundhandelser[{i}] has events about another part: {foreign[:5]}")
            found = ids(events)
            doubles = sorted({str(x) for x in found if found.count(x) > 1})
            if doubles:
                ev.bad(f"{ex.brief()}: kundhandelser[{i}] repeats kundhandelseId {doubles[:5]}")
        checked += 1
    if checked:
        ev.ok(f"{checked} answers checked")


def _covers(asked: Part, event: dict) -> bool:
    try:
        return asked.covers(Part.from_json(event["part"]))
    except (KeyError, TypeError, AttributeError):
        return False


@check("schema.answer", REQUIRED, "Every answer is application/json and its envelope validates against svar.json")
def schema_answer(ctx: ProducerContext, ev: Evidence):
    checked = 0
    for ex in ctx.answers():
        checked += 1
        if not ex.is_json:
            ev.bad(f"{ex.brief()}: Content-Type {ex.content_type!r}, expected application/json")
            continue
        body = ex.json
        if isinstance(body, dict) and isinstance(body.get("kundhandelser"), list):
            body = {**body, "kundhandelser": [
                {**e, "kundhandelserForPart": []} if isinstance(e, dict) and isinstance(
                    e.get("kundhandelserForPart"), list) else e for e in body["kundhandelser"]]}
        found = schemas.problems("svar", body)
        if found:
            ev.bad(f"{ex.brief()}: {'; '.join(found[:3])}")
    if checked:
        ev.ok(f"{checked} answers validated")
    else:
        ev.skip("no answers to validate")


def _all_events(ctx: ProducerContext):
    for ex in ctx.answers():
        body = ex.json
        for entry in (body.get("kundhandelser") or []) if isinstance(body, dict) else []:
            events = entry.get("kundhandelserForPart") if isinstance(entry, dict) else None
            for event in events if isinstance(events, list) else []:
                yield ex, event


def _distinct_events(ctx: ProducerContext):
    seen = set()
    for ex, event in _all_events(ctx):
        key = repr(event)
        if key not in seen:
            seen.add(key)
            yield ex, event


@check("schema.events", REQUIRED, "Every event validates against kundhandelse.json")
def schema_events(ctx: ProducerContext, ev: Evidence):
    n = 0
    for ex, event in _distinct_events(ctx):
        n += 1
        found = schemas.problems("kundhandelse", event)
        if found:
            ident = event.get("kundhandelseId") if isinstance(event, dict) else None
            ev.bad(f"event {ident!r} (from {ex.label}): {'; '.join(found[:3])}")
    ev.ok(f"{n} distinct events validated") if n else ev.skip("no events returned: nothing to validate")


@check("tidpunkt.valid", REQUIRED, "Every tidpunkt is a real time: RFC 3339, or the local form that exists in Sweden")
def tidpunkt_valid(ctx: ProducerContext, ev: Evidence):
    n = 0
    for _, event in _distinct_events(ctx):
        if not isinstance(event, dict):
            continue
        n += 1
        try:
            tidpunkt.parse(event.get("tidpunkt"))
        except tidpunkt.InvalidTidpunkt as exc:
            ev.bad(f"event {event.get('kundhandelseId')!r}: tidpunkt {event.get('tidpunkt')!r}: {exc}")
    ev.ok(f"{n} tidpunkt values parsed") if n else ev.skip("no events returned: no tidpunkt to read")


@check("tidpunkt.rfc3339", RECOMMENDED, "Answers give tidpunkt as RFC 3339 with an offset, not the local input form")
def tidpunkt_rfc3339(ctx: ProducerContext, ev: Evidence):
    n, local = 0, []
    for _, event in _distinct_events(ctx):
        if not isinstance(event, dict) or not isinstance(event.get("tidpunkt"), str):
            continue
        n += 1
        if not RFC3339.match(event["tidpunkt"]):
            local.append(f"{event.get('kundhandelseId')}: {event['tidpunkt']!r}")
    if local:
        ev.bad(f"{len(local)} of {n} events lack an offset, e.g. {local[:3]}")
    elif n:
        ev.ok(f"{n} tidpunkt values in RFC 3339")
    else:
        ev.skip("no events returned: no tidpunkt to read")


@check("metadata.echo", RECOMMENDED, "metadata echoes the question (fraga, anvandare)")
def metadata_echo(ctx: ProducerContext, ev: Evidence):
    n = 0
    for ex in ctx.answers():
        meta = ex.json.get("metadata") if isinstance(ex.json, dict) else None
        n += 1
        if not isinstance(meta, dict):
            ev.bad(f"{ex.brief()}: no metadata object")
        elif meta.get("fraga") != ex.sent["fraga"]:
            ev.bad(f"{ex.brief()}: metadata.fraga differs from the question sent")
        elif "anvandare" in meta and meta["anvandare"] != ex.sent["anvandare"]:
            ev.bad(f"{ex.brief()}: metadata.anvandare differs from the question sent")
    ev.ok(f"{n} answers echo their question") if n else ev.skip("no answers")


@check("delfragor.shape", REQUIRED, "delfragor, when present, are Delfraga objects; FEL only in a 206 answer")
def delfragor_shape(ctx: ProducerContext, ev: Evidence):
    n = 0
    for ex in ctx.answers():
        body = ex.json if isinstance(ex.json, dict) else {}
        if "delfragor" not in body:
            continue
        n += 1
        delfragor = body["delfragor"]
        if not isinstance(delfragor, list):
            ev.bad(f"{ex.brief()}: delfragor is not a list")
            continue
        for i, d in enumerate(delfragor):
            found = schemas.problems("svar", d, "Delfraga")
            if found:
                ev.bad(f"{ex.brief()}: delfragor[{i}]: {'; '.join(found[:2])}")
        statuses = {d.get("status") for d in delfragor if isinstance(d, dict)}
        if ex.status == 200 and "FEL" in statuses:
            ev.bad(f"{ex.brief()}: a delfraga says FEL but the answer is 200 (expected 206)")
        if ex.status == 206 and "FEL" not in statuses:
            ev.bad(f"{ex.brief()}: answer 206 but no delfraga says FEL")
    ev.ok(f"{n} answers with delfragor checked") if n else ev.skip("no answer carried delfragor (optional)")


@check("errors.body-shape", REQUIRED, 'Every error answer is application/json {"message": "..."} (fel.json)')
def error_bodies(ctx: ProducerContext, ev: Evidence):
    errors = [x for x in ctx.client.log if x.status is not None and x.status >= 400]
    for ex in errors:
        if not ex.is_json:
            ev.bad(f"{ex.brief()}: Content-Type {ex.content_type!r}, body {ex.excerpt(80)!r}")
        elif schemas.problems("fel", ex.json):
            ev.bad(f"{ex.brief()}: body {ex.excerpt(80)!r} is not {{\"message\": \"...\"}}")
    statuses = sorted({x.status for x in errors})
    ev.ok(f"{len(errors)} error answers ({', '.join(map(str, statuses))}) checked") if errors \
        else ev.skip("no error answers seen")


@check("performance.p95", RECOMMENDED, "Response time: the 95th percentile of answered queries is within the limit")
def response_time(ctx: ProducerContext, ev: Evidence):
    times = [x.elapsed for x in ctx.answers()]
    if not times:
        ev.skip("no answered queries")
        return
    p95 = percentile(times, 0.95)
    ev.expect(p95 <= ctx.max_p95, f"p95 {p95 * 1000:.0f} ms over {len(times)} answered queries "
                                  f"(limit {ctx.max_p95 * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms)")


def run_producer(url: str, api_key: str | None, customers: list[Identity], *, anvandare: str | None = None,
                 key_header: str = "X-API-Key", timeout: float = 10.0, max_p95: float = 2.0) -> Report:
    """Run every producer check against ``url``, the producer's base (the kit appends ``/kundhandelseFragaSynkron``)."""
    client = Client(url, api_key, key_header=key_header, timeout=timeout)
    ctx = ProducerContext(client, [Customer(c, anvandare or c.digits) for c in customers], max_p95=max_p95)
    return Report("producer", client.base + OPERATION, battery.run(ctx))
