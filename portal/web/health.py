"""Health checks for operators: ``/healthz`` (the process answers) and ``/readyz`` (it can serve).

Ready means the configured database takes a real write. On SQLite a fresh
connection (which sees the file's permissions now, unlike the workers' open ones)
writes a row and checkpoints it into the main file, and that file is still the one
the workers opened at start (a database deleted or replaced under a running
portal is served from the old inode, and everything written is lost at restart).
On PostgreSQL a pooled connection (checked before use) writes the row.
Neither check is ever a redirect: a probe over plain HTTP reads a 302 as success.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify

from portal.extensions import talisman
from portal.runtime import config
from portal.standard.clock import now
from portal.store import Database
from portal.store.database import describe, is_postgres

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the database file, None when there is none (or it lives in memory)."""
    if path == ":memory:":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def database_problem(path: str, opened: tuple[int, int] | None) -> str | None:
    """Why the database at ``path`` cannot take a write now, in words; None when it can."""
    if path == ":memory:":
        return None
    if is_postgres(path):
        return _server_problem(path)
    if not os.path.exists(path):
        return f"the database file {path} is gone (deleted while the portal runs?)"
    if opened is not None and file_identity(path) != opened:
        return f"the database file {path} is not the file the portal opened at start (replaced?)"
    try:
        # mode=rw: never create a new, empty database where the real one was.
        conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=2)
        try:
            with conn:
                conn.execute("create table if not exists readiness (id integer primary key, at text)")
                conn.execute("insert or replace into readiness (id, at) values (1, ?)", [now().isoformat()])
            # Into the main file itself (a write alone lands in the WAL); PASSIVE never waits for readers.
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"the database {path} does not take a write: {exc}"
    return None


def _server_problem(database: str) -> str | None:
    db = Database(database)
    try:
        with db.transaction():
            db.execute("insert into readiness (id, at) values (1, ?) on conflict (id) do update set at = excluded.at",
                       [now().isoformat()])
    except Exception as exc:  # the driver's error class names the trouble; its text may not be ours to log
        return f"the database {describe(database)} does not take a write: {type(exc).__name__}"
    finally:
        db.close()
    return None


@bp.route("/healthz")
@talisman(force_https=False)
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@talisman(force_https=False)
def readyz():
    """Ready when the configuration is loaded and the database file takes a write; 503 (logged) when not."""
    checks = {"config": bool(config().producers)}
    settings = config().settings
    problem = database_problem(settings.database, current_app.extensions.get("portal_database_file"))
    checks["database"] = problem is None
    if problem:
        log.error("not ready: %s", problem)
    ready = all(checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
