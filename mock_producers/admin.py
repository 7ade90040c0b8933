"""Run-time control for tests and benchmarks, guarded by a separate admin key (header ``X-Admin-Key``).

- ``GET /_admin/faults``; ``PUT /_admin/faults/<slug>`` with knob settings; ``DELETE /_admin/faults``
- ``PUT /_admin/producers/<slug>/events`` with one event: add or replace it; ``DELETE .../events/<id>``
- ``PUT /_admin/registry`` with a whole registry document (e.g. to revoke a mandate)
- ``DELETE /_admin/registry/tokens``: the registry forgets every Bearer token it issued
- ``PUT /_admin/access-check`` with ``{"enabled": bool}``
- ``GET /_admin/clock``: today on the shared clock and how many days each data file's dates were moved
- ``GET /_admin/stats``: requests and bytes sent per producer; ``DELETE /_admin/stats``
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, request

from portal.standard import clock

from .data import DataError, check_event, check_registry, prepare_registry
from .faults import KnobError
from .producer import error, json_response, state

bp = Blueprint("admin", __name__, url_prefix="/_admin")


@bp.before_request
def guard():
    if not state().admin_ok(request.headers.get("X-Admin-Key")):
        return error(401, "missing or wrong X-Admin-Key")
    return None


def _body(kind=dict):
    body = request.get_json(silent=True)
    return body if isinstance(body, kind) else None


@bp.route("/faults", methods=["GET"])
def faults():
    return json_response(state().board.all())


@bp.route("/faults", methods=["DELETE"])
def reset_faults():
    state().board.reset()
    return json_response(state().board.all())


@bp.route("/faults/<slug>", methods=["PUT"])
def set_fault(slug: str):
    body = _body()
    if body is None:
        return error(400, "expected a JSON object of knob settings")
    try:
        knob = state().board.set(slug, body)
    except KnobError as exc:
        return error(404 if "unknown producer" in str(exc) else 400, str(exc))
    return json_response(asdict(knob))


@bp.route("/producers/<slug>/events", methods=["PUT"])
def put_event(slug: str):
    producer = state().producers.get(slug)
    if producer is None:
        return error(404, f"no producer at /{slug}")
    try:
        event = check_event(producer, _body(), "invalid event")
    except DataError as exc:
        return error(400, str(exc))
    producer.put(event)
    return json_response({"kundhandelseId": event.kundhandelse_id})


@bp.route("/producers/<slug>/events/<path:kundhandelse_id>", methods=["DELETE"])
def delete_event(slug: str, kundhandelse_id: str):
    producer = state().producers.get(slug)
    if producer is None or not producer.remove(kundhandelse_id):
        return error(404, "no such event")
    return json_response({"removed": kundhandelse_id})


@bp.route("/registry", methods=["PUT"])
def put_registry():
    body = _body()
    try:
        check_registry(body, "registry")
    except DataError as exc:
        return error(400, str(exc))
    body = prepare_registry(body)
    state().replace_registry(body)
    return json_response({"fullmakter": len(body["fullmakter"])})


@bp.route("/registry/tokens", methods=["DELETE"])
def revoke_registry_tokens():
    """Forget the registry's Bearer tokens: the next call with an old one gets 401."""
    from .registry import revoke_tokens

    revoke_tokens()
    return json_response({"revoked": True})


@bp.route("/access-check", methods=["PUT"])
def access_check():
    body = _body()
    if body is None or not isinstance(body.get("enabled"), bool):
        return error(400, 'expected {"enabled": true|false}')
    state().access_check = body["enabled"]
    return json_response({"enabled": state().access_check})


@bp.route("/clock", methods=["GET"])
def clock_state():
    st = state()
    shifts = {slug: p.shift_days for slug, p in st.producers.items()}
    shifts["minaombud"] = st.registry_snapshot().get("_shift_days", 0)
    return json_response({"today": clock.today().isoformat(), "shiftDays": shifts})


@bp.route("/stats", methods=["GET"])
def stats():
    st = state()
    with st.lock:
        return json_response({slug: asdict(s) for slug, s in st.stats.items()})


@bp.route("/stats", methods=["DELETE"])
def reset_stats():
    st = state()
    with st.lock:
        st.stats.clear()
    return json_response({})
