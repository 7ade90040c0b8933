"""The forwarding service (vidareförmedlingstjänst): one query, every producer, concurrently.

It calls each mock producer over HTTP, as the real forwarder calls agencies,
merges the answers per asked part (totals added, events merged in the asked
order, paging applied to the merged list), and answers 206 with ``delfragor``
naming each producer that failed.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Blueprint, request

from portal.standard.models import Event
from portal.standard.query import MAX_LIMIT, QueryError, sort_events
from portal.standard.query import metadata as answer_metadata

from .producer import check_caller, error, json_response, read_query, state

bp = Blueprint("forwarder", __name__, url_prefix="/vidareformedling")

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="forwarder")
_session = requests.Session()


def _ask(st, slug: str, body: dict, headers: dict) -> tuple[str, int, dict | None, str]:
    url = f"{st.self_url}/{slug}/kundhandelseFragaSynkron"
    try:
        r = _session.post(url, data=json.dumps(body), headers=headers, timeout=st.forwarder_timeout_s)
    except requests.Timeout:
        return slug, 504, None, "the producer did not answer in time"
    except requests.RequestException:
        return slug, 502, None, "the producer could not be reached"
    if r.status_code not in (200, 206):  # a 206 is an answer: its delfragor say what is missing
        try:
            message = r.json().get("message", "")
        except ValueError:
            message = ""
        return slug, r.status_code, None, message or f"the producer answered {r.status_code}"
    try:
        return slug, r.status_code, r.json(), ""
    except ValueError:
        return slug, 502, None, "the producer's answer is not JSON"


def _order(raw_events: list, sortering, part) -> list:
    """Merge order for raw events: valid ones sorted as asked, unreadable ones last."""
    parsed, rest = [], []
    for raw in raw_events:
        try:
            parsed.append((Event.from_json(raw, part), raw))
        except Exception:  # the consumer validates; the forwarder only relays
            rest.append(raw)
    by_id = {id(e): raw for e, raw in parsed}
    ordered = sort_events([e for e, _ in parsed], sortering)
    return [by_id[id(e)] for e in ordered] + rest


@bp.route("/kundhandelseFragaSynkron", methods=["POST"])
def forward():
    refused = check_caller(None)
    if refused is not None:
        return refused
    try:
        q = read_query()
    except QueryError as exc:
        return error(exc.status, exc.message)
    body = q.to_json()
    if q.limit is not None:
        if (q.offset or 0) + q.limit > MAX_LIMIT:
            return error(400, f"the forwarder pages over merged answers: offset + limit must be at most {MAX_LIMIT}")
        body["fraga"]["behandling"]["paginering"] = {"offset": 0, "limit": (q.offset or 0) + q.limit}
    # One correlation id for the whole fan-out, passed on under the standard's own header name.
    headers = {"Content-Type": "application/json",
               "skv_client_correlation_id": request.headers["skv_client_correlation_id"]}
    if "Accept-Language" in request.headers:
        headers["Accept-Language"] = request.headers["Accept-Language"]
    st = state()
    # Worker threads have no app context: hand them the state itself.
    results = list(_pool.map(lambda slug: _ask(st, slug, body, headers | st.credentials_for(slug)),
                             sorted(st.producers)))
    merged = [{"part": p.to_json(), "totaltAntalKundhandelser": 0, "kundhandelserForPart": []} for p in q.parter]
    delfragor, failed = [], False
    for slug, status, answer, message in results:
        name = st.producers[slug].namn
        if answer is None:
            failed = True
            delfragor += [{"producent": name, "part": p.to_json(), "status": "FEL", "httpCode": status,
                           "message": message} for p in q.parter]
            continue
        failed = failed or status == 206
        for i, entry in enumerate(answer.get("kundhandelser", [])[: len(merged)]):
            merged[i]["totaltAntalKundhandelser"] += entry.get("totaltAntalKundhandelser", 0)
            merged[i]["kundhandelserForPart"] += entry.get("kundhandelserForPart", [])
        delfragor += answer.get("delfragor", [])
    for part, entry in zip(q.parter, merged):
        ordered = _order(entry["kundhandelserForPart"], q.sortering, part)
        if q.limit is not None:
            ordered = ordered[(q.offset or 0):(q.offset or 0) + q.limit]
        entry["kundhandelserForPart"] = ordered
    metadata = answer_metadata(q, (results and _language(results)) or "sv")
    return json_response({"kundhandelser": merged, "metadata": metadata, "delfragor": delfragor},
                         206 if failed else 200)


def _language(results) -> str:
    for _, _, answer, _ in results:
        if answer and isinstance(answer.get("metadata"), dict):
            return answer["metadata"].get("onskatSprak", "sv")
    return "sv"
