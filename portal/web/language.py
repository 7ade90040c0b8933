"""The language link: remembered in the session, then back to where the user was."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request, session, url_for

from portal.i18n import LOCALES

bp = Blueprint("language", __name__)


def _local_path(target: str | None) -> str | None:
    """Only a path on this site: never another host (no open redirect)."""
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):  # CR/LF would split the Location header
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/sprak/<code>")
def choose(code: str):
    if code not in LOCALES:
        abort(404)
    session["lang"] = code
    return redirect(_local_path(request.args.get("next")) or url_for("cases.overview"))
