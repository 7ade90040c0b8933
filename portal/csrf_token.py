"""The CSRF token a page carries: flask-wtf's, signed once per session secret and then reused.

flask-wtf signs the session's CSRF secret anew on every request that shows a form (itsdangerous: a key derived,
JSON, zlib, base64, an HMAC and a timestamp: ~3 % of a warm overview's CPU, issue 16). The portal sets no time
limit on tokens (``WTF_CSRF_TIME_LIMIT=None``: a token lives as long as its session), so a token signed for a
session's secret a minute ago is as good as a new one: validation checks the signature and the secret, not the
time. Here the token signed for a secret is kept (by app secret and session secret, in a bounded table) and given
to that session's next pages; flask-wtf's own ``generate_csrf`` then finds it in ``g`` and returns the same one.

A new session (every log-in) has a new secret, so a new token; a token is never handed to another session. With a
time limit set, every request signs anew (a kept token would be older than the limit allows for).
"""

from __future__ import annotations

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf

FIELD = "csrf_token"  # flask-wtf's default field name: its key in the session and in ``g``
_MAX = 20_000  # sessions with a kept token; when full the table starts again (each then signs once more)
_signed: dict[tuple[str, str], str] = {}


def token() -> str:
    """This session's signed CSRF token (the template global ``csrf_token()``)."""
    found = g.get(FIELD)
    if found is not None:
        return found
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()  # tokens expire: each page's is signed now
    app_secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    secret = session.get(FIELD)
    signed = _signed.get((app_secret, secret)) if isinstance(secret, str) else None
    if signed is not None:
        setattr(g, FIELD, signed)
        return signed
    signed = generate_csrf()  # makes the session's secret when it has none (or cannot sign the one it has)
    secret = session.get(FIELD)
    if isinstance(secret, str):
        if len(_signed) >= _MAX:
            _signed.clear()
        _signed[(app_secret, secret)] = signed
    return signed


def install(app: Flask) -> None:
    """Templates' ``csrf_token()`` through :func:`token` (after ``CSRFProtect.init_app``).

    flask-wtf offers its ``generate_csrf`` twice: as a Jinja global and from a context processor (which wins, being
    put into every render's context). Both now give :func:`token`; the processor is dropped (the global serves every
    template, as ``csrf_meta_tag``'s does).
    """
    app.jinja_env.globals[FIELD] = token
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if getattr(p, "__module__", None) != "flask_wtf.csrf"]


def forget() -> None:
    """Drop every kept token (tests)."""
    _signed.clear()
