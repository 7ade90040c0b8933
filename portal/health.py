"""Health checks for operators: ``/healthz`` (the process answers) and ``/readyz`` (it can serve)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from portal.runtime import config, store

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Ready when the configuration is loaded and the database takes a write."""
    checks = {"config": bool(config().producers)}
    try:
        with store().db.conn:
            store().db.conn.execute("create temp table if not exists readyz (x)")
            store().db.conn.execute("insert into readyz values (1)")
            store().db.conn.execute("delete from readyz")
        checks["database"] = True
    except Exception:  # any database failure means "not ready"; the reason is not for the public
        checks["database"] = False
    ready = all(checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
