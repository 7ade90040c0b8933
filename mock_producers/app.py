"""The mock world as one Flask app: producers, forwarder, mandate registry, admin."""

from __future__ import annotations

import json

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import admin, forwarder, producer, registry, signatories
from .faults import Trickle
from .state import MockState

QUERY_OPERATION = "/kundhandelseFragaSynkron"
OWN_SERVICES = ("/_admin", "/minaombud")  # not an agency's API: they keep the {"message"} body


def create_app(state: MockState) -> Flask:
    app = Flask(__name__)
    app.extensions["mock"] = state
    app.wsgi_app = Trickle(app.wsgi_app, state.board)
    for blueprint in (producer.bp, forwarder.bp, registry.bp, signatories.bp, admin.bp):
        app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # As the reference producer: the standard's {"message"} on the query path, RFC 9457 problem+json
        # elsewhere, and an unknown path is 403 to a caller with a valid key (401 without one).
        path = request.path
        if path.endswith(QUERY_OPERATION) or path.startswith(OWN_SERVICES):
            response = producer.error(exc.code, exc.description or exc.name)
        elif exc.code == 404:
            # "Valid key" is the key the agency the path names wants (its header, or the client header pair).
            st = app.extensions["mock"]
            slug = path.strip("/").split("/", 1)[0]
            if st.caller_ok(slug if slug in st.producers else None, request.headers):
                response = producer.problem(403, "no such resource, or not for this client")
            else:
                response = producer.problem(401, "missing or wrong credentials")
        else:
            response = producer.problem(exc.code, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def internal(exc: Exception):
        app.logger.exception("unhandled error")
        if request.path.endswith(QUERY_OPERATION) or request.path.startswith(OWN_SERVICES):
            return producer.error(500, "internal error")
        return producer.problem(500, "internal error")

    @app.route("/")
    def index():
        st = app.extensions["mock"]
        return Response(json.dumps({
            "producenter": {slug: {"namn": p.namn, "orgnr": p.orgnr, "prefix": p.prefix, "kundhandelser": len(p.events)}
                            for slug, p in sorted(st.producers.items())},
            "vidareformedling": "/vidareformedling/kundhandelseFragaSynkron",
            "minaombud": "/minaombud/dfm/formedlare/v1/sok/behorigheter",
            "minaombud_token": "/minaombud/oauth2/token",
            "firmatecknare": "/foretagsdata/firmatecknare",
        }, ensure_ascii=False), mimetype="application/json")

    return app
