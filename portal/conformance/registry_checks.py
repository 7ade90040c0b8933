"""The battery for a Mina ombud registry's consumer API (Bolagsverket's ``dfm_konsument_v1``).

The kit authenticates as a consumer does: OAuth2 client credentials at the
token URL with scope ``fullmakt:hamta``, then ``Authorization: Bearer``. It
asks ``POST /sok/behorigheter`` for one holder (``--holder``) at each given
agency (``--tredjeman``, required by the contract) in several ways and checks
that the answers agree (pages of one against one page of 100, a code filter
against the unfiltered answer), then fetches mandates it was told about with
``GET /tredjeman/{orgnr}/fullmakter/{id}``. As for producers, the kit does not
know the registry's data.
"""

from __future__ import annotations

import json
import math
import urllib.parse
import uuid

from .client import Client, Exchange, percentile
from .contracts import media_type, registry_problems
from .producer_context import COLLATIONS
from .registry_context import (FULL_PAGE, MANDATES_PER_AGENCY, MAX_PAGES, OPERATION, SCOPE, OAuthClient,
                               RegistryContext, Unusable, codes, comparable, default_token_url, entries_of, giver,
                               grantor_key, grantor_name, page_of)
from .report import RECOMMENDED, REQUIRED, Battery, Evidence, Report

__all__ = ["battery", "run_registry", "OAuthClient", "SCOPE", "default_token_url"]

battery = Battery()
check = battery.check


# -- OAuth2 and the bearer token ----------------------------------------------------------------------------------

@check("oauth.token", REQUIRED,
       "Client credentials with scope fullmakt:hamta at the token URL give a Bearer access token (RFC 6749)")
def oauth_token(ctx: RegistryContext, ev: Evidence):
    ex = ctx.authenticate()
    body = ex.json
    if ex.status != 200:
        ev.bad(f"{ex.brief()}, expected 200: {ex.excerpt(120)!r}")
        return
    if media_type(ex.content_type) != "application/json":
        ev.bad(f"{ex.brief()}: Content-Type {ex.content_type!r}, expected application/json")
    found = registry_problems("token", body)
    if found:
        ev.bad(f"{ex.brief()}: {'; '.join(found[:3])}")
        return
    if body["token_type"].lower() != "bearer":
        ev.bad(f"{ex.brief()}: token_type {body['token_type']!r}, expected Bearer")
        return
    lifetime = f"expires in {body['expires_in']} s" if "expires_in" in body else "no expires_in (RFC 6749: recommended)"
    ev.ok(f"{ex.brief()}: a Bearer access token, {lifetime}")


@check("oauth.wrong-secret", REQUIRED, "A wrong client secret gets no token (400 or 401)")
def oauth_wrong_secret(ctx: RegistryContext, ev: Evidence):
    ex = ctx.oauth.request(ctx.client, "token with a wrong client secret",
                           secret="konformans-fel-hemlighet-" + uuid.uuid4().hex)
    ev.expect(ex.status in (400, 401), f"{ex.brief()}, expected 400 or 401 (invalid_client)")


@check("oauth.unknown-scope", RECOMMENDED, "A token for a scope the client does not have is refused with 400")
def oauth_unknown_scope(ctx: RegistryContext, ev: Evidence):
    ex = ctx.oauth.request(ctx.client, "token for an unknown scope", scope="konformans:finnsinte")
    ev.expect(ex.status == 400, f"{ex.brief()}, expected 400 (invalid_scope)")


@check("auth.missing-token", REQUIRED, "Without a Bearer token, searching and fetching a mandate are refused with 401")
def missing_token(ctx: RegistryContext, ev: Evidence):
    t = ctx.tredjeman[0]
    ex = ctx.client.call(OPERATION, ctx.body(t), label="no token", key=None, correlation=None)
    ev.expect(ex.status == 401, f"{ex.brief()}, expected 401")
    ex = ctx.client.call(f"/tredjeman/{t}/fullmakter/{uuid.uuid4()}", None, label="no token", method="GET",
                         content_type=None, key=None, correlation=None)
    ev.expect(ex.status == 401, f"{ex.brief()}, expected 401")


@check("auth.wrong-token", REQUIRED, "A search with a Bearer token the registry did not issue is refused with 401")
def wrong_token(ctx: RegistryContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, ctx.body(ctx.tredjeman[0]), label="unknown token", correlation=None,
                         key="konformans-fel-token-" + uuid.uuid4().hex)
    ev.expect(ex.status == 401, f"{ex.brief()}, expected 401")


# -- searching ------------------------------------------------------------------------------------------------

@check("query.accepted", REQUIRED, "A valid search for the holder at each tredjeman is answered 200 and readable")
def accepted(ctx: RegistryContext, ev: Evidence):
    for t in ctx.tredjeman:
        try:
            entries = entries_of(ctx.full(t))
        except Unusable as exc:
            ev.bad(str(exc))
        else:
            ev.ok(f"{ctx.full(t).brief()}: {len(entries)} grantor entries")


@check("errors.tredjeman-required", REQUIRED, "A search without tredjeman is refused with 400 (the contract needs it)")
def tredjeman_required(ctx: RegistryContext, ev: Evidence):
    ex = ctx.sok(None, "no tredjeman")
    ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


@check("errors.bad-request", REQUIRED, "Malformed and invalid searches are refused with 400")
def bad_request(ctx: RegistryContext, ev: Evidence):
    t = ctx.tredjeman[0]
    body = ctx.body(t)
    cases = [
        ("body is not JSON", None, '{"fullmaktshavare": '),
        ("no fullmaktshavare", {k: v for k, v in body.items() if k != "fullmaktshavare"}, None),
        ("tredjeman with the 16 prefix (12 digits)", ctx.body("16" + t), None),
        ("page size 0", ctx.body(t, page={"page": 0, "size": 0}), None),
        ("negative page", ctx.body(t, page={"page": -1, "size": 10}), None),
    ]
    for label, sent, data in cases:
        ex = ctx.client.call(OPERATION, sent, label=label, data=data, correlation=None)
        ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


@check("errors.behorigheter-required", RECOMMENDED, "A search without behorigheter is refused with 400 ([] = all)")
def behorigheter_required(ctx: RegistryContext, ev: Evidence):
    sent = {k: v for k, v in ctx.body(ctx.tredjeman[0]).items() if k != "behorigheter"}
    ex = ctx.client.call(OPERATION, sent, label="no behorigheter", correlation=None)
    ev.expect(ex.status == 400, f"{ex.brief()}, expected 400")


@check("errors.media-type", RECOMMENDED, "A body that is not application/json is refused with 415")
def wrong_media_type(ctx: RegistryContext, ev: Evidence):
    ex = ctx.client.call(OPERATION, None, label="Content-Type text/plain", content_type="text/plain",
                         data=json.dumps(ctx.body(ctx.tredjeman[0])), correlation=None)
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
    for t, entries in ctx.with_data(ev):
        for size in _paging_sizes(len(entries)):
            pages = ctx.pages(t, size, len(entries))
            joined = [e for p in pages for e in entries_of(p)]
            same = [comparable(e) for e in joined] == [comparable(e) for e in entries]
            ev.expect(same, f"tredjeman {t}, pages of {size}: {len(pages)} pages give {len(joined)} entries, "
                            f"the page of {FULL_PAGE} {len(entries)}" + ("" if same else ", not the same in order"))
            if len(pages) < MAX_PAGES:
                last = entries_of(pages[-1])
                ev.expect(not last, f"tredjeman {t}, pages of {size}: the page past the end has {len(last)} "
                                    "entries, expected none")


@check("paging.totals", REQUIRED, "page.totalElements/totalPages agree on every page; number and size echo the ask")
def paging_totals(ctx: RegistryContext, ev: Evidence):
    for t, entries in ctx.with_data(ev):
        total = page_of(ctx.full(t)).get("totalElements")
        if len(entries) < FULL_PAGE:
            ev.expect(total == len(entries), f"tredjeman {t}, page of {FULL_PAGE}: totalElements {total}, "
                                             f"{len(entries)} entries")
        for size in _paging_sizes(len(entries)):
            pages = ctx.pages(t, size, len(entries))
            for number, ex in enumerate(pages):
                page = page_of(ex)
                expected = {"size": size, "number": number, "totalElements": total,
                            "totalPages": math.ceil(total / size) if isinstance(total, int) else None}
                wrong = {k: page.get(k) for k, v in expected.items() if page.get(k) != v}
                if wrong:
                    ev.bad(f"{ex.brief()}: page {wrong}, expected {expected}")
            ev.ok(f"tredjeman {t}, pages of {size}: {len(pages)} pages checked against totalElements {total}")


@check("schema.answer", REQUIRED,
       "Every answer is application/json and validates against the contract's HamtaBehorigheterResponse")
def schema_answer(ctx: RegistryContext, ev: Evidence):
    answers = ctx.answers()
    for ex in answers:
        if media_type(ex.content_type) != "application/json":
            ev.bad(f"{ex.brief()}: Content-Type {ex.content_type!r}, expected application/json")
            continue
        found = registry_problems("HamtaBehorigheterResponse", ex.json)
        if found:
            ev.bad(f"{ex.brief()}: {'; '.join(found[:3])}")
    ev.ok(f"{len(answers)} answers validated") if answers else ev.skip("no answers to validate")


def _all_entries(ctx: RegistryContext):
    for ex in ctx.answers():
        try:
            yield from ((ex, e) for e in entries_of(ex))
        except Unusable:
            continue


@check("answer.tredjeman", REQUIRED, "Every entry is for the asked tredjeman")
def answer_tredjeman(ctx: RegistryContext, ev: Evidence):
    n = 0
    for ex, entry in _all_entries(ctx):
        asked = ex.sent.get("tredjeman")
        if asked is None:  # an answer to a search that should have been refused: errors.tredjeman-required says so
            continue
        n += 1
        if entry.get("tredjeman") != asked:
            ev.bad(f"{ex.brief()}: an entry for tredjeman {entry.get('tredjeman')!r}, asked {asked!r}")
    ev.ok(f"{n} entries checked") if n else ev.skip("no entries returned")


@check("behorigheter.no-duplicates", REQUIRED, "One entry per grantor, no permission code twice in it")
def no_duplicates(ctx: RegistryContext, ev: Evidence):
    for t, entries in ctx.with_data(ev):
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
        ev.ok(f"tredjeman {t}: {len(seen)} grantors with {sum(len(c) for v in seen.values() for c in v)} codes")


@check("behorigheter.holder", RECOMMENDED, "Every entry names the asked holder among its fullmaktshavare")
def holder_named(ctx: RegistryContext, ev: Evidence):
    for t, entries in ctx.with_data(ev):
        missing = [grantor_key(e) for e in entries
                   if not any(isinstance(h, dict) and h.get("id") == ctx.holder["id"]
                              for h in e.get("fullmaktshavare") or [])]
        ev.expect(not missing, f"tredjeman {t}: {len(entries) - len(missing)} of {len(entries)} entries name the "
                               "holder" + (f"; not {missing[:3]}" if missing else ""))


@check("order.by-name", RECOMMENDED, "Grantors come in ascending order of name")
def order_by_name(ctx: RegistryContext, ev: Evidence):
    for t, entries in ctx.with_data(ev):
        # The contract says "ordered ascending on name" without saying which name or collation: accept namn or
        # fornamn + namn, in any collation the kit recognises.
        names = {"namn": lambda e: str(giver(e).get("namn", "")), "fornamn namn": grantor_name}
        fitting = [f"{name} ({collation})" for name, text in names.items() for collation, key in COLLATIONS.items()
                   if all(key(text(a)) <= key(text(b)) for a, b in zip(entries, entries[1:]))]
        ev.expect(bool(fitting), f"tredjeman {t}: {len(entries)} grantors "
                                 + (f"in order of {fitting[0]}" if fitting else
                                    f"not in order of name: {[grantor_name(e) for e in entries][:5]}"))


@check("filter.behorigheter", REQUIRED,
       "behorigheter filters by permission code, consistently with the unfiltered answer")
def code_filter(ctx: RegistryContext, ev: Evidence):
    for t, entries in ctx.with_data(ev):
        known = list(dict.fromkeys(c for e in entries for c in codes(e) if isinstance(c, str)))
        for code in known[:2]:
            ex = ctx.sok(t, f"tredjeman {t}, behorigheter=[{code}]", behorigheter=[code],
                         page={"page": 0, "size": FULL_PAGE})
            got = entries_of(ex)
            wrong = sorted({str(c) for e in got for c in codes(e) if c != code})
            expected = [grantor_key(e) for e in entries if code in codes(e)]
            ev.expect(not wrong and [grantor_key(e) for e in got] == expected,
                      f"tredjeman {t}, behorigheter=[{code}]: {len(got)} entries, expected {len(expected)}"
                      + (f"; other codes returned: {wrong[:5]}" if wrong else ""))


# -- fetching one mandate -------------------------------------------------------------------------------------

def _mandate_problems(ex: Exchange, tredjeman: str, entry: dict, permission: dict) -> list[str]:
    found = registry_problems("FullmaktMetadataResponse", ex.json)
    if found:
        return found[:3]
    fullmakt = ex.json["fullmakt"]
    problems = []
    if fullmakt["id"] != permission.get("fullmakt"):
        problems.append(f"fullmakt.id {fullmakt['id']!r}, asked {permission.get('fullmakt')!r}")
    if fullmakt["tredjeman"]["id"] != tredjeman:
        problems.append(f"fullmakt.tredjeman.id {fullmakt['tredjeman']['id']!r}, asked {tredjeman!r}")
    if fullmakt["fullmaktsgivare"].get("id") != giver(entry).get("id"):
        problems.append("fullmakt.fullmaktsgivare is not the grantor the search named")
    objects = [b["behorighetsobjekt"].get("kod") for b in fullmakt["behorigheter"]]
    if permission.get("kod") not in objects:
        problems.append(f"the search's code {permission.get('kod')!r} is not among the mandate's {objects[:5]}")
    return problems


@check("mandate.fetch", REQUIRED,
       "GET /tredjeman/{orgnr}/fullmakter/{id} gives each mandate a search named, matching (FullmaktMetadataResponse)")
def mandate_fetch(ctx: RegistryContext, ev: Evidence):
    for t, entries in ctx.with_data(ev):
        fetched: set[str] = set()
        for entry in entries:
            for permission in entry.get("behorigheter") or []:
                ident = permission.get("fullmakt") if isinstance(permission, dict) else None
                if not isinstance(ident, str) or ident in fetched or len(fetched) >= MANDATES_PER_AGENCY:
                    continue
                fetched.add(ident)
                ex = ctx.client.call(f"/tredjeman/{t}/fullmakter/{urllib.parse.quote(ident, safe='')}", None,
                                     label="the mandate a search named", method="GET", content_type=None,
                                     correlation=None)
                if ex.status != 200 or media_type(ex.content_type) != "application/json":
                    ev.bad(f"{ex.brief()}, expected 200 application/json")
                    continue
                problems = _mandate_problems(ex, t, entry, permission)
                ev.expect(not problems, f"{ex.brief()}: " + ("; ".join(problems) if problems else
                                                             f"mandate {ex.json['fullmakt'].get('rubrik')!r} matches"))


@check("mandate.unknown", REQUIRED, "GET of a mandate that does not exist is answered 404")
def mandate_unknown(ctx: RegistryContext, ev: Evidence):
    ex = ctx.client.call(f"/tredjeman/{ctx.tredjeman[0]}/fullmakter/{uuid.uuid4()}", None, label="unknown mandate",
                         method="GET", content_type=None, correlation=None)
    ev.expect(ex.status == 404, f"{ex.brief()}, expected 404")


@check("errors.body-shape", RECOMMENDED,
       "Error answers are JSON (application/json or application/problem+json; the contract leaves the shape open)")
def error_bodies(ctx: RegistryContext, ev: Evidence):
    errors = [x for x in ctx.client.log if x.status is not None and x.status >= 400 and x.method != "HEAD"]
    for ex in errors:
        kind = media_type(ex.content_type)
        if kind not in ("application/json", "application/problem+json") or ex.json is None:
            ev.bad(f"{ex.brief()}: Content-Type {ex.content_type!r}, body {ex.excerpt(80)!r}")
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


def run_registry(url: str, oauth: OAuthClient, holder_id: str, tredjeman: list[str], holder_typ: str = "pnr", *,
                 timeout: float = 10.0, max_p95: float = 2.0) -> Report:
    """Run every registry check against ``url`` (the base; the search is ``url + /sok/behorigheter``)."""
    if not tredjeman:
        raise ValueError("give at least one tredjeman: the contract requires it in every search")
    client = Client(url, None, key_header="Authorization", key_prefix="Bearer ", timeout=timeout)
    ctx = RegistryContext(client, oauth, {"id": holder_id, "typ": holder_typ}, list(tredjeman), max_p95=max_p95)
    return Report("registry", client.base + OPERATION, battery.run(ctx))
