"""The mock world as one Flask app: producers, forwarder, mandate registry, admin."""

from __future__ import annotations

import json

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from . import admin, forwarder, producer, registry, signatories
from .faults import Trickle
from .state import MockState


def create_app(state: MockState) -> Flask:
    app = Flask(__name__)
    app.extensions["mock"] = state
    app.wsgi_app = Trickle(app.wsgi_app, state.board)
    for blueprint in (producer.bp, forwarder.bp, registry.bp, signatories.bp, admin.bp):
        app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Every error, including Flask's own 404/405, in the standard's shape.
        body = json.dumps({"message": exc.description or exc.name})
        response = Response(body, status=exc.code, mimetype="application/json")
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def internal(exc: Exception):
        app.logger.exception("unhandled error")
        return Response(json.dumps({"message": "internal error"}), status=500, mimetype="application/json")

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
