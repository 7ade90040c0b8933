"""Producer checks over every answer: schemas, tidpunkt, metadata, delfragor, error bodies, time."""

from __future__ import annotations

from portal.standard import schemas, tidpunkt

from .client import percentile
from .contracts import answer_event_problems, message_problems, problem_json_problems
from .producer_context import (
    ASKED_LANGUAGE,
    OPERATION,
    RFC3339,
    ProducerContext,
    check,
)
from .report import RECOMMENDED, REQUIRED, Evidence


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


@check("schema.events", REQUIRED,
       "Every event validates against kundhandelse.json as an answer gives it (part and taggar may be left out)")
def schema_events(ctx: ProducerContext, ev: Evidence):
    n = 0
    for ex, event in _distinct_events(ctx):
        n += 1
        found = answer_event_problems(event)
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


@check("metadata.echo", RECOMMENDED,
       "metadata is a flat echo of fraga (parter, kundhandelseTyper, taggar, dates, behandling) plus onskatSprak")
def metadata_echo(ctx: ProducerContext, ev: Evidence):
    n = 0
    for ex in ctx.answers():
        meta = ex.json.get("metadata") if isinstance(ex.json, dict) else None
        n += 1
        if not isinstance(meta, dict):
            ev.bad(f"{ex.brief()}: no metadata object")
            continue
        fraga = ex.sent["fraga"]
        differ = sorted(k for k, v in fraga.items() if meta.get(k) != v)
        if differ:
            nested = " (nested as metadata.fraga: the published answer is flat)" if "fraga" in meta else ""
            ev.bad(f"{ex.brief()}: metadata does not echo fraga's {', '.join(differ)}{nested}")
        language = ex.headers.get("Accept-Language")
        if language is not None and meta.get("onskatSprak") != language:
            ev.bad(f"{ex.brief()}: sent Accept-Language {language!r}, metadata.onskatSprak "
                   f"{meta.get('onskatSprak')!r}")
    if n:
        ev.ok(f"{n} answers echo their question; Accept-Language {ASKED_LANGUAGE!r} came back as onskatSprak")
    else:
        ev.skip("no answers")


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


@check("errors.body-shape", REQUIRED,
       'Errors on the query path are application/json {"message": "..."}; elsewhere that or RFC 9457 problem+json')
def error_bodies(ctx: ProducerContext, ev: Evidence):
    errors = [x for x in ctx.client.log if x.status is not None and x.status >= 400]
    for ex in errors:
        found = message_problems(ex.content_type, ex.json)
        if found and ex.path != OPERATION:
            # Off the query path the reference producer's framework answers with problem+json: that is fine too.
            as_problem = problem_json_problems(ex.content_type, ex.json, ex.status)
            found = [f"neither {{\"message\": ...}} ({found[0]}) nor problem+json ({as_problem[0]})"] \
                if as_problem else []
        if found:
            ev.bad(f"{ex.brief()}: {'; '.join(found[:2])}, body {ex.excerpt(80)!r}")
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
