"""Producer checks of the protocol: accepted queries, keys, headers, error codes, limits."""

from __future__ import annotations

import json
import uuid

from portal.standard.query import (
    MAX_LIMIT,
    MAX_PARTER,
    MAX_TAGGAR,
    MAX_TYPER,
)

from .producer_context import (
    OPERATION,
    Customer,
    ProducerContext,
    Unusable,
    check,
    events_of,
)
from .report import REQUIRED, Evidence


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


UNKNOWN_PATH = OPERATION + "FinnsInte"


@check("errors.unknown-path", REQUIRED, "An unknown path (with a valid key) is refused with 404 or 403")
def unknown_path(ctx: ProducerContext, ev: Evidence):
    # The reference producer answers 403: its security layer denies every path it does not know.
    ex = ctx.client.call(UNKNOWN_PATH, ctx.body(ctx.first), label="unknown path")
    ev.expect(ex.status in (403, 404), f"{ex.brief()}, expected 404 or 403")


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
