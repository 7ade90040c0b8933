"""The Flask application factory: configuration, extensions, blueprints, error pages.

``create_app()`` reads the TOML config named by env ``PORTAL_CONFIG`` (the demo
config by default) with ``PORTAL_*`` overrides; ``flask --app portal run`` and
``gunicorn 'portal:create_app()'`` both work.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from flask_login import AnonymousUserMixin, current_user

from portal import config as config_mod
from portal import heap
from portal.config import ROOT, Config

DEMO_SECRET = "demo-and-test-only-secret-key-not-for-production"

try:  # gunicorn prints such an error's message alone (no traceback) and stops: "App failed to load"
    from gunicorn.errors import AppImportError as _StartFailure
except ImportError:  # pragma: no cover - gunicorn is a dependency; the portal runs without it under flask too
    _StartFailure = RuntimeError


class CannotStart(_StartFailure):
    """What the portal needs to start is missing (the database); the message says what and why."""
log = logging.getLogger("portal")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. ``test_config`` may hold ``TESTING``, a ready ``PORTAL`` Config, or Flask settings."""
    from portal import logs

    logs.configure()
    test_config = dict(test_config or {})
    testing = bool(test_config.get("TESTING"))
    cfg: Config = test_config.pop("PORTAL", None) or config_mod.load(testing=testing)
    if cfg.oidc is None and not (testing or cfg.settings.demo):
        raise config_mod.ConfigError(config_mod.NO_EID)  # the mock e-ID alone: only in demo and test mode
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    from portal import templating

    app.jinja_environment = templating.Environment  # before anything makes app.jinja_env (portal/templating.py)
    app.jinja_options = {**app.jinja_options, **templating.OPTIONS}
    settings = cfg.settings
    app.config.update(
        SECRET_KEY=settings.secret_key or DEMO_SECRET,
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not (settings.demo or testing),
        PERMANENT_SESSION_LIFETIME=int(settings.session_absolute_h * 3600),
        # The cookie is sent when the session changes, not signed and sent again on every response: it then lives
        # session_absolute_h from log-in (the server's session row enforces both lifetimes anyway), and a page view
        # saves an HMAC and a Set-Cookie (about 0.5 ms of a warm overview's 6 ms of CPU).
        SESSION_REFRESH_EACH_REQUEST=False,
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE="Europe/Stockholm",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.config.update(test_config)
    _init_extensions(app, cfg)
    _register(app)
    if settings.server_timing:
        from portal import timing

        timing.install(app)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N trusted proxies the client is the N-th address from the right of X-Forwarded-For: the rate
        # limiter and the logs see the real client, not the proxy. Without proxies these headers are ignored.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    heap.freeze_once()  # the app, its modules and settings: out of every later full collection (portal/heap.py)
    return app


def _init_extensions(app: Flask, cfg: Config) -> None:
    from portal import csrf_token, i18n
    from portal.eid import MockEid
    from portal.extensions import babel, csrf, limiter, login_manager, talisman
    from portal.runtime import Runtime, close_store
    from portal.web.health import file_identity
    from portal.store import DatabaseUnavailable, database, prepare_database

    database.pool_settings.update(pool_size=cfg.settings.db_pool_size, max_overflow=cfg.settings.db_max_overflow)
    try:
        prepare_database(cfg.settings.database)
    except DatabaseUnavailable as exc:  # e.g. PostgreSQL not up: say so plainly, and do not start
        log.critical("cannot start: %s", exc)
        raise CannotStart(f"cannot start: {exc}") from None
    app.extensions["portal_database_file"] = file_identity(cfg.settings.database)  # /readyz: still the same file?
    app.extensions["portal"] = Runtime.build(cfg)
    app.extensions["eid"] = MockEid(cfg.settings.demo_identities)
    if cfg.oidc is not None:
        from portal import outbound
        from portal.oidc import RelyingParty

        app.extensions["oidc"] = RelyingParty(cfg.oidc, outbound.new_session())
    app.teardown_appcontext(close_store)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login_form"
    login_manager.login_message = None  # the log-in page says what to do
    # No session_protection: flask-login's "strong" mode only ever marks a *permanent* session non-fresh (ours
    # are), and binding to address or user agent would sign out people whose phone changes network. A session is
    # a server-side record behind a random nonce, rotated at log-in and at every party switch, with idle and
    # absolute lifetimes, ended for real at log-out (README: "Sessions").
    login_manager.session_protection = None
    csrf.init_app(app)
    csrf_token.install(app)  # the same signed token for a session's pages (portal/csrf_token.py)
    # The log-in rate limit's counters in the database (web/auth.py declares the limits).
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"database": cfg.settings.database}
    limiter.init_app(app)
    _limits_in_views_only(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    plain_http = cfg.settings.demo or app.testing
    talisman.init_app(
        app,
        force_https=not plain_http,
        strict_transport_security=not plain_http,
        session_cookie_secure=not plain_http,
        frame_options="DENY",
        content_security_policy={
            "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self'",
            "form-action": _form_action(cfg), "frame-ancestors": "'none'", "base-uri": "'none'", "object-src": "'none'",
        },
        # No nonce: no page has inline script, so none may run (a nonce per request would only widen that).
        referrer_policy="strict-origin-when-cross-origin",
    )


def _limits_in_views_only(app: Flask) -> None:
    """Drop Flask-Limiter's hook before every request while no limit applies to every request.

    The log-in limit is checked where it is declared: web/auth.py's decorators run the check in the view. The hook
    is for default and application limits (and limits on a whole blueprint, which the portal does not use either):
    without them it would only find out anew, on every request, that nothing applies (~3 % of the instructions of a
    warm overview, issue 16).
    """
    from portal.extensions import limiter

    manager = limiter.limit_manager
    if not manager.default_limits and not manager.application_limits:
        app.before_request_funcs[None].remove(limiter._check_request_limit)


def _form_action(cfg: Config) -> str:
    """Where forms may go: here, and to the OpenID provider (log-out there is a form posted to it)."""
    if cfg.oidc is None:
        return "'self'"
    from urllib.parse import urlsplit

    parts = urlsplit(cfg.oidc.issuer)
    return f"'self' {parts.scheme}://{parts.netloc}"


def _register(app: Flask) -> None:
    from portal import cards, errors, i18n
    from portal.web import (acting, across, audit, auth, calendar, cases, catalog, health, language, links,
                            migrations_cli, notifications, notifier, situations)

    for module in (auth, acting, across, cases, situations, catalog, calendar, language, audit, health,
                   notifications, notifier, migrations_cli):
        app.register_blueprint(module.bp)

    links.install(app)
    app.jinja_env.globals["case_list"] = cards.case_list
    app.jinja_env.filters.update(date=i18n.date, days=i18n.days_from_today, datetime=i18n.datetime, ago=i18n.time_ago, isodate=i18n.iso_date,
                                  isotime=i18n.iso_time)

    @app.context_processor
    def globals_():
        from flask_babel import get_locale
        # A page drawn because the database is unreachable shows nobody as signed in (errors.database_down).
        # The user itself, not flask-login's proxy to it: each use in a template went through the proxy.
        return {"locale": str(get_locale() or "sv"),
                "current_user": AnonymousUserMixin() if errors.database_down() else current_user._get_current_object()}

    errors.register(app)

    @app.after_request
    def no_store(response):
        """A signed-in page holds someone's cases: never kept by the browser or a shared cache."""
        if request.endpoint != "static" and "Cache-Control" not in response.headers and \
                current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
