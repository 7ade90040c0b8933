"""Error pages: one template, a title and a message per status, in the user's language.

Nothing from the failed request is echoed back: no input, no identity number.
"""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Lambdas: the texts are translated per request, in the user's language.
PAGES = {
    400: (lambda: _("The request could not be understood"), lambda: _("Check what you entered and try again.")),
    403: (lambda: _("You may not see this"),
          lambda: _("You do not have the right to see this, or to act for this party.")),
    404: (lambda: _("Page not found"),
          lambda: _("There is no page here. It may have moved, or the case is not yours.")),
    405: (lambda: _("This page cannot be used like that"),
          lambda: _("Use the buttons and links on the pages to get here.")),
    429: (lambda: _("Too many attempts"), lambda: _("Wait a minute and try again.")),
    500: (lambda: _("Something went wrong"), lambda: _("Something went wrong on our side. Try again in a moment.")),
    503: (lambda: _("The service is unavailable just now"),
          lambda: _("We cannot reach our stored information just now. Nothing is lost: try again in a minute.")),
}


def page(status: int, title: str, message: str, headers=()):
    return render_template("errors/error.html", status=status, title=title, message=message), status, headers


def _http_error(exc: HTTPException):
    """Any other HTTP error (413, 415, ...): its status, our page; a 405 keeps its Allow header."""
    title, message = PAGES.get(exc.code, PAGES[400])
    allow = [(k, v) for k, v in exc.get_headers() if k.lower() == "allow"]
    return page(exc.code or 500, title(), message(), allow)


def register(app: Flask) -> None:
    for status, (title, message) in PAGES.items():
        if status != 405:
            app.register_error_handler(status, lambda exc, s=status, t=title, m=message: page(s, t(), m()))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(InterfaceError, _database_down)
    app.register_error_handler(
        CSRFError, lambda exc: page(400, _("The form had expired"), _("Go back, reload the page and try again.")))


def _database_down(exc):
    """The database cannot be reached (PostgreSQL down, a file gone): 503 with a readable page, and a log line.

    The transaction of the request was rolled back whole; the page is drawn as for a signed-out visitor, since
    who is signed in cannot be read either (``database_down``). The pool replaces its connections that the
    failure found dead, so the portal recovers by itself when the database is back.
    """
    log.error("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
    g.database_down = True
    title, message = PAGES[503]
    return page(503, title(), message(), [("Retry-After", "30")])


def database_down() -> bool:
    """Whether this request found the database unreachable: its page then shows nobody as signed in. The session's
    user loader answers "nobody" (flask-login's public way to say so) rather than ask the database again, and the
    templates get an anonymous ``current_user`` even when the user was read before the database went."""
    return bool(g.get("database_down"))
