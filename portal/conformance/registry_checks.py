"""The battery for a Mina ombud-style ``sok/behorigheter`` (find a holder's permissions).

As for producers, the kit does not know the registry's data: it asks for one
holder (``--holder``) in several ways and checks that the answers agree: pages
of one against one page of 100, filters against the unfiltered answer.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field

from portal.standard import schemas

from .client import Client, Exchange, percentile
from .report import RECOMMENDED, REQUIRED, Battery, Evidence, Report

OPERATION = "/sok/behorigheter"
FULL_PAGE = 100
MAX_PAGES = 60
NO_SUCH_TREDJEMAN = "0000000000"

battery = Battery()
check = battery.check


class Unusable(ValueError):
    """An answer the consistency checks cannot read."""


@dataclass
class RegistryContext:
    client: Client
    holder: dict
    max_p95: float = 2.0
    _full: Exchange | None = None
    _pages: dict = field(default_factory=dict)

    def body(self, **extra) -> dict:
        return {"fullmaktshavare": dict(self.holder), **extra}

    def sok(self, label: str, **extra) -> Exchange:
        return self.client.call(OPERATION, self.body(**extra), label=label, correlation=None)

    def full(self) -> Exchange:
        """One page of 100: the reference the other answers are compared with."""
        if self._full is None:
            self._full = self.sok(f"page 0 of size {FULL_PAGE}", page={"page": 0, "size": FULL_PAGE})
        return self._full

    def full_entries(self, ev: Evidence) -> list[dict] | None:
        try:
            entries = entries_of(self.full())
        except Unusable as exc:
            ev.skip(f"no usable reference answer: {exc}")
            return None
        if not entries:
            ev.skip("the holder has no permissions: give --holder with mandates")
            return None
        return entries

    def pages(self, size: int, count: int) -> list[Exchange]:
        """Pages of ``size`` covering ``count`` entries plus one past the end (at most MAX_PAGES), asked once."""
        if size not in self._pages:
            n = min(math.ceil(count / size) + 1, MAX_PAGES)
            self._pages[size] = [self.sok(f"page {number} of size {size}", page={"page": number, "size": size})
                                 for number in range(n)]
        return self._pages[size]

    def answers(self) -> list[Exchange]:
        return [x for x in self.client.log if x.status == 200 and x.sent is not None]


def entries_of(ex: Exchange) -> list[dict]:
    if ex.status != 200:
        raise Unusable(f"{ex.brief()}: expected 200")
    body = ex.json
    if not isinstance(body, dict) or not isinstance(body.get("fullmaktsgivare"), list):
        raise Unusable(f"{ex.brief()}: no 'fullmaktsgivare' list")
    return [e for e in body["fullmaktsgivare"] if isinstance(e, dict)]


def page_of(ex: Exchange) -> dict:
    page = ex.json.get("page") if isinstance(ex.json, dict) else None
    return page if isinstance(page, dict) else {}


def comparable(entry: dict) -> str:
    """An entry without its signature, as canonical JSON."""
    return json.dumps({k: v for k, v in entry.items() if k != "_sig"}, sort_keys=True, ensure_ascii=False)


def grantor_key(entry: dict) -> tuple:
    giver = entry.get("fullmaktsgivare") if isinstance(entry.get("fullmaktsgivare"), dict) else {}
    return giver.get("typ"), giver.get("id"), entry.get("tredjeman")


def codes(entry: dict) -> list:
    return [b.get("kod") for b in entry.get("behorigheter") or [] if isinstance(b, dict)]


@check("query.accepted", REQUIRED, "A valid search for the holder is answered 200 with a readable answer")
def accepted(ctx: RegistryContext, ev: Evidence):
    try:
        entries = entries_of(ctx.full())
    except Unusable as exc:
        ev.bad(str(exc))
    else:
        ev.ok(f"{ctx.full().brief()}: {len(entries)} grantor entries")


@check("auth.missing-key", REQUIRED, "A search without the API key is refused with 401")
def missing_key(ctx: RegistryContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, ctx.body(), label="no API key", key=None, correlation=None)
    ev.expect(ex.status == 401, f"{ex.brief()}, expected 401")


@check("auth.wrong-key", REQUIRED, "A search with a wrong API key is refused with 401")
def wrong_key(ctx: RegistryContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, ctx.body(), label="wrong API key", correlation=None,
                         key="konformans-fel-nyckel-" + uuid.uuid4().hex)
    ev.expect(ex.status == 401, f"{ex.brief()}, expected 401")


@check("errors.bad-request", REQUIRED, "Malformed and invalid searches are refused with 400")
def bad_request(ctx: RegistryContext, ev: Evidence):
    cases = [
        ("body is not JSON", None, '{"fullmaktshavare": '),
        ("no fullmaktshavare", {"page": {"page": 0, "size": 10}}, None),
        ("fullmaktshavare.id is not a number", {"fullmaktshavare": {"id": "abc", "typ": ctx.holder["typ"]}}, None),
        ("unknown identity typ", {"fullmaktshavare": {"id": ctx.holder["id"], "typ": "okand"}}, None),
        ("page size 0", ctx.body(page={"page": 0, "size": 0}), None),
        ("page size 101", ctx.body(page={"page": 0, "size": 101}), None),
        ("negative page", ctx.body(page={"page": -1, "size": 10}), None),
    ]
    for label, body, data in cases:
        ex = ctx.client.call(OPERATION, body, label=label, data=data, correlation=None)
        ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


@check("errors.media-type", RECOMMENDED, "A body that is not application/json is refused with 415")
def media_type(ctx: RegistryContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, None, label="Content-Type text/plain", content_type="text/plain",
                         data=json.dumps(ctx.body()), correlation=None)
    ev.expect(ex.status == 415, f"{ex.brief()}, expected 415")


@check("errors.method", RECOMMENDED, "Another method than POST is refused with 405")
def method(ctx: RegistryContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, None, label="GET instead of POST", method="GET", content_type=None,
                         correlation=None)
    ev.expect(ex.status == 405, f"{ex.brief()}, expected 405")


def _paging_sizes(count: int) -> list[int]:
    """Page sizes 1 and 2, grown when needed to stay within MAX_PAGES."""
    least = math.ceil(count / (MAX_PAGES - 1))
    return sorted({max(1, least), max(2, least)})


@check("paging.consistency", REQUIRED, "Small pages concatenated equal one page of 100; past the end is empty")
def paging_consistency(ctx: RegistryContext, ev: Evidence):
    entries = ctx.full_entries(ev)
    if entries is None:
        return
    for size in _paging_sizes(len(entries)):
        pages = ctx.pages(size, len(entries))
        joined = [e for p in pages for e in entries_of(p)]
        same = [comparable(e) for e in joined] == [comparable(e) for e in entries]
        ev.expect(same, f"pages of {size}: {len(pages)} pages give {len(joined)} entries, "
                        f"the page of {FULL_PAGE} {len(entries)}" + ("" if same else ", not the same entries in order"))
        if len(pages) < MAX_PAGES:
            last = entries_of(pages[-1])
            ev.expect(not last, f"pages of {size}: the page past the end has {len(last)} entries, expected none")


@check("paging.totals", REQUIRED, "page.totalElements/totalPages agree on every page; number and size echo the ask")
def paging_totals(ctx: RegistryContext, ev: Evidence):
    entries = ctx.full_entries(ev)
    if entries is None:
        return
    total = page_of(ctx.full()).get("totalElements")
    if len(entries) < FULL_PAGE:
        ev.expect(total == len(entries), f"page of {FULL_PAGE}: totalElements {total}, {len(entries)} entries")
    for size in _paging_sizes(len(entries)):
        pages = ctx.pages(size, len(entries))
        for number, ex in enumerate(pages):
            page = page_of(ex)
            expected = {"size": size, "number": number, "totalElements": total,
                        "totalPages": math.ceil(total / size) if isinstance(total, int) else None}
            wrong = {k: page.get(k) for k, v in expected.items() if page.get(k) != v}
            if wrong:
                ev.bad(f"{ex.brief()}: page {wrong}, expected {expected}")
        ev.ok(f"pages of {size}: {len(pages)} pages checked against totalElements {total}")


@check("schema.answer", REQUIRED, "Every answer is application/json and validates against SokBehorigheterSvar")
def schema_answer(ctx: RegistryContext, ev: Evidence):
    answers = ctx.answers()
    for ex in answers:
        if not ex.is_json:
            ev.bad(f"{ex.brief()}: Content-Type {ex.content_type!r}, expected application/json")
            continue
        found = schemas.problems("ombud", ex.json, "SokBehorigheterSvar")
        if found:
            ev.bad(f"{ex.brief()}: {'; '.join(found[:3])}")
    if answers:
        ev.ok(f"{len(answers)} answers validated")
    else:
        ev.skip("no answers to validate")


def _all_entries(ctx: RegistryContext):
    for ex in ctx.answers():
        try:
            yield from ((ex, e) for e in entries_of(ex))
        except Unusable:
            continue


@check("behorigheter.types", REQUIRED, "Every permission's typ is aktiv or passiv")
def permission_types(ctx: RegistryContext, ev: Evidence):
    n = 0
    for ex, entry in _all_entries(ctx):
        for b in entry.get("behorigheter") or []:
            n += 1
            typ = b.get("typ") if isinstance(b, dict) else None
            if typ not in ("aktiv", "passiv"):
                ev.bad(f"{ex.brief()}: permission {b.get('kod') if isinstance(b, dict) else b!r} has typ {typ!r}")
    if n:
        ev.ok(f"{n} permissions checked")
    else:
        ev.skip("no permissions returned")


@check("behorigheter.no-duplicates", REQUIRED, "One entry per (grantor, tredjeman), no permission code twice in it")
def no_duplicates(ctx: RegistryContext, ev: Evidence):
    entries = ctx.full_entries(ev)
    if entries is None:
        return
    seen: dict[tuple, list] = {}
    for entry in entries:
        seen.setdefault(grantor_key(entry), []).append(codes(entry))
    for key, lists in seen.items():
        who = f"grantor {key[0]} {key[1]}, tredjeman {key[2]}"
        if len(lists) > 1:
            ev.bad(f"{who}: {len(lists)} entries, expected one")
        flat = [c for codes_ in lists for c in codes_]
        doubles = sorted({str(c) for c in flat if flat.count(c) > 1})
        if doubles:
            ev.bad(f"{who}: codes {doubles} appear more than once")
    ev.ok(f"{len(seen)} (grantor, tredjeman) pairs with {sum(len(c) for v in seen.values() for c in v)} codes")


@check("behorigheter.holder", RECOMMENDED, "Every entry names the asked holder among its fullmaktshavare")
def holder_named(ctx: RegistryContext, ev: Evidence):
    entries = ctx.full_entries(ev)
    if entries is None:
        return
    missing = [grantor_key(e) for e in entries
               if not any(isinstance(h, dict) and h.get("id") == ctx.holder["id"]
                          for h in e.get("fullmaktshavare") or [])]
    ev.expect(not missing, f"{len(entries) - len(missing)} of {len(entries)} entries name the holder"
                           + (f"; not {missing[:3]}" if missing else ""))


@check("filter.tredjeman", REQUIRED, "tredjeman filters by third party, consistently with the unfiltered answer")
def tredjeman_filter(ctx: RegistryContext, ev: Evidence):
    entries = ctx.full_entries(ev)
    if entries is None:
        return
    parties = list(dict.fromkeys(e.get("tredjeman") for e in entries if isinstance(e.get("tredjeman"), str)))
    for party in parties[:2] + [NO_SUCH_TREDJEMAN]:
        ex = ctx.sok(f"tredjeman={party}", tredjeman=party, page={"page": 0, "size": FULL_PAGE})
        got = [comparable(e) for e in entries_of(ex)]
        expected = [comparable(e) for e in entries if e.get("tredjeman") == party]
        ev.expect(got == expected, f"tredjeman={party}: {len(got)} entries, expected {len(expected)} "
                                   "from the unfiltered answer")


@check("filter.behorigheter", REQUIRED,
       "behorigheter filters by permission code, consistently with the unfiltered answer")
def code_filter(ctx: RegistryContext, ev: Evidence):
    entries = ctx.full_entries(ev)
    if entries is None:
        return
    known = list(dict.fromkeys(c for e in entries for c in codes(e) if isinstance(c, str)))
    for code in known[:2]:
        ex = ctx.sok(f"behorigheter=[{code}]", behorigheter=[code], page={"page": 0, "size": FULL_PAGE})
        got = entries_of(ex)
        wrong = sorted({str(c) for e in got for c in codes(e) if c != code})
        expected = [grantor_key(e) for e in entries if code in codes(e)]
        ev.expect(not wrong and [grantor_key(e) for e in got] == expected,
                  f"behorigheter=[{code}]: {len(got)} entries, expected {len(expected)}"
                  + (f"; other codes returned: {wrong[:5]}" if wrong else ""))


@check("errors.body-shape", REQUIRED, 'Every error answer is application/json {"message": "..."}')
def error_bodies(ctx: RegistryContext, ev: Evidence):
    errors = [x for x in ctx.client.log if x.status is not None and x.status >= 400]
    for ex in errors:
        if not ex.is_json:
            ev.bad(f"{ex.brief()}: Content-Type {ex.content_type!r}, body {ex.excerpt(80)!r}")
        elif schemas.problems("fel", ex.json):
            ev.bad(f"{ex.brief()}: body {ex.excerpt(80)!r} is not {{\"message\": \"...\"}}")
    if errors:
        ev.ok(f"{len(errors)} error answers ({', '.join(map(str, sorted({x.status for x in errors})))}) checked")
    else:
        ev.skip("no error answers seen")


@check("performance.p95", RECOMMENDED, "Response time: the 95th percentile of answered searches is within the limit")
def response_time(ctx: RegistryContext, ev: Evidence):
    times = [x.elapsed for x in ctx.answers()]
    if not times:
        ev.skip("no answered searches")
        return
    p95 = percentile(times, 0.95)
    ev.expect(p95 <= ctx.max_p95, f"p95 {p95 * 1000:.0f} ms over {len(times)} answered searches "
                                  f"(limit {ctx.max_p95 * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms)")


def run_registry(url: str, api_key: str | None, holder_id: str, holder_typ: str = "pnr", *,
                 key_header: str = "X-API-Key", timeout: float = 10.0, max_p95: float = 2.0) -> Report:
    """Run every registry check against ``url`` (the registry's base; the operation is ``url + /sok/behorigheter``)."""
    client = Client(url, api_key, key_header=key_header, timeout=timeout)
    ctx = RegistryContext(client, {"id": holder_id, "typ": holder_typ}, max_p95=max_p95)
    return Report("registry", client.base + OPERATION, battery.run(ctx))
