"""Portal configuration: a TOML file (env ``PORTAL_CONFIG``) plus ``PORTAL_*`` overrides.

Bad configuration stops start-up with a ``ConfigError`` naming the problem:
an unreadable file, an unknown key, a missing URL, a missing secret key
outside test and demo mode.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from portal.standard.eventtypes import is_prefix
from portal.standard.identity import InvalidIdentity, parse_organisation

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "portal" / "demo.toml"
# The mock world's keys when their env variables are unset; used only in demo and test mode.
DEMO_API_KEY = "demo-api-key-0123456789abcdef0123456789"
DEMO_OMBUD_CLIENT_SECRET = "demo-ombud-secret-0123456789abcdef0123"
DEMO_SIGNATORY_KEY = "demo-signatory-key-0123456789abcdef0123"
# Outside demo and test mode: a guessable session-signing secret or API key is refused at start-up.
# The test OpenID provider's client secret (tests/oidc/provider.js), when the env has none: demo and test mode only.
DEMO_OIDC_SECRET = "demo-oidc-client-secret-0123456789"
MIN_SECRET_KEY = 32
MIN_API_KEY = 16
# The mock agencies' client secret (client_id/client_secret headers) in demo and test mode.
DEMO_CLIENT_SECRET = "demo-client-secret-0123456789abcdef0123"
PRODUCER_AUTH = ("api_key", "client_headers")


class ConfigError(ValueError):
    """Configuration that the portal cannot start with."""


@dataclass(frozen=True)
class ProducerConfig:
    """One agency. How it wants consumers to authenticate varies (see ``auth``); secrets come from env only."""

    slug: str
    name: str
    orgnr: str  # 10 digits: Mina ombud's tredjeman
    url: str  # base URL; the operation is {url}/kundhandelseFragaSynkron
    auth: str = "api_key"  # "api_key": one header with a key; "client_headers": client_id + client_secret headers
    api_key_header: str = "X-API-Key"  # the header name of auth = "api_key" (the reference producer's default)
    api_key_env: str = "MOCK_PRODUCER_API_KEY"
    client_id: str = ""  # auth = "client_headers": not a secret, so it may sit in the file
    client_secret_env: str = "MOCK_PRODUCER_CLIENT_SECRET"
    timeout_s: float = 2.0  # wall-clock deadline of one call (page) to this agency
    api_key: str = field(default="", repr=False)  # read from env api_key_env, never from the file
    client_secret: str = field(default="", repr=False)  # read from env client_secret_env, never from the file

    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate us to this agency."""
        if self.auth == "client_headers":
            return {"client_id": self.client_id, "client_secret": self.client_secret}
        return {self.api_key_header: self.api_key}


@dataclass(frozen=True)
class OmbudConfig:
    """Mina ombud's consumer API: OAuth2 client credentials, then ``{url}/sok/behorigheter`` per agency."""

    url: str  # the API base, e.g. https://fullmakt.minaombud.se/dfm/formedlare/v1
    token_url: str  # the OAuth2 token endpoint (client credentials grant)
    client_id: str
    client_secret_env: str = "MINAOMBUD_CLIENT_SECRET"
    scope: str = "fullmakt:hamta"
    deadline_s: float = 3.0  # wall clock for one whole look-up (token, every agency, every page)
    client_secret: str = field(default="", repr=False)  # read from env client_secret_env, never from the file


@dataclass(frozen=True)
class SignatoryConfig:
    """Who may sign for a company (Bolagsverket's company data): ``POST {url}/firmatecknare``."""

    url: str
    api_key_env: str = "SIGNATORY_API_KEY"
    api_key_header: str = "X-API-Key"
    deadline_s: float = 3.0  # wall clock for the look-up
    api_key: str = field(default="", repr=False)  # read from env api_key_env, never from the file


# The Swedish OpenID Connect Profile (github.com/oidc-sweden/specifications) and Sweden's levels of assurance.
PNR_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"
COORDINATION_CLAIM = "https://id.oidc.se/claim/coordinationNumber"
PNR_SCOPE = "https://id.oidc.se/scope/naturalPersonNumber"
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
LOA4 = "http://id.elegnamnden.se/loa/1.0/loa4"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class OidcConfig:
    """The ``[oidc]`` table: log-in through an OpenID provider (an e-ID broker or federation)."""

    issuer: str  # discovery at {issuer}/.well-known/openid-configuration
    client_id: str
    redirect_url: str  # this portal's {origin}/login/callback, as registered at the provider
    client_secret_env: str = "PORTAL_OIDC_CLIENT_SECRET"
    post_logout_redirect_url: str = ""  # where the provider sends people after log-out ("" = {origin}/login)
    scopes: tuple[str, ...] = ("openid", "profile", PNR_SCOPE)
    # The first of these claims present holds the identity number (brokers may call it "nin").
    identity_claims: tuple[str, ...] = (PNR_CLAIM, COORDINATION_CLAIM)
    # Accepted levels of assurance, asked for in this order (acr_values); any other acr is refused.
    acr_values: tuple[str, ...] = (LOA3, LOA4)
    token_endpoint_auth: str = "client_secret_basic"  # or client_secret_post
    timeout_s: float = 5.0  # wall-clock deadline of each call to the provider
    metadata_ttl_s: float = 3600.0  # how long the discovery document and keys are trusted (an unknown kid refreshes)
    leeway_s: float = 60.0  # clock skew allowed on the ID token's exp and iat
    offer_mock_eid: bool = True  # in demo mode, also offer the mock e-ID (never outside demo and test mode)
    client_secret: str = field(default="", repr=False)  # read from env client_secret_env, never from the file


@dataclass(frozen=True)
class StepConfig:
    """One expected step of a situation: the case types that make it, and where it sits."""

    key: str
    name_sv: str
    name_en: str
    case_types: tuple[str, ...]
    optional: bool = False
    parent: str = ""  # key of the step this one belongs under ("" = top level)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_sv


@dataclass(frozen=True)
class SituationConfig:
    slug: str
    name_sv: str
    name_en: str
    case_types: tuple[str, ...]
    steps: tuple[StepConfig, ...] = ()
    # The situation applies to a party only when it has a case of one of these types (none given: any case
    # of the situation's or its steps' types).
    defining_case_types: tuple[str, ...] = ()

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_sv

    @property
    def defining(self) -> tuple[str, ...]:
        return self.defining_case_types or self.case_types + tuple(p for s in self.steps for p in s.case_types)


@dataclass(frozen=True)
class PortalSettings:
    """The ``[portal]`` table; each key can be overridden by env ``PORTAL_<KEY>``."""

    secret_key: str = field(default="", repr=False)
    database: str = str(ROOT / "instance" / "portal.db")  # a file (SQLite) or a postgresql:// URL
    db_pool_size: int = 8  # connections each worker process keeps open to the database
    db_max_overflow: int = 24  # more, opened for a burst and closed after (per worker process)
    demo: bool = False
    representation_ttl_s: float = 60.0
    fresh_s: float = 60.0  # cached events younger than this are shown without asking producers
    total_deadline_s: float = 5.0
    retry_failed_s: float = 0.0  # a producer that failed is asked again at most this often (0: on every load)
    page_deadline_s: float = 0.25  # the page is served by then; slower agencies' answers are stored when they come
    full_refresh_h: float = 24.0
    page_size: int = 500
    max_pages: int = 20
    overlap_days: int = 1
    session_idle_min: float = 30.0
    session_absolute_h: float = 8.0
    demo_identities: str = str(ROOT / "mock_producers" / "data" / "_identiteter.json")
    login_rate_limit: str = "10 per minute"  # per client address, across every instance (flask-limiter syntax)
    max_events_per_producer: int = 20000  # storage cap per party and agency; beyond it new events are left out
    proxy_hops: int = 0  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host (0: none, trust no header)
    calls_per_producer: int = 4  # bulkhead: calls to one agency at once per process (the fetch pool has 32 threads)
    server_timing: bool = False  # send per-stage times in a Server-Timing header (bench and debugging only)


@dataclass(frozen=True)
class SmtpConfig:
    """The ``[smtp]`` table: where notices are handed over. The password comes from env ``password_env``."""

    host: str = "127.0.0.1"
    port: int = 587
    starttls: bool = True  # STARTTLS before AUTH; false only for a relay on the same machine
    username: str = ""  # empty: no AUTH
    password_env: str = "PORTAL_SMTP_PASSWORD"
    sender: str = "Mina ärenden <noreply@example.invalid>"
    timeout_s: float = 10.0
    ca_file: str = ""  # a private CA for the relay's certificate (default: the system's)
    password: str = field(default="", repr=False)  # read from env password_env, never from the file


@dataclass(frozen=True)
class NotifyConfig:
    """The ``[notify]`` table: the notifier (``flask --app portal notify``)."""

    base_url: str = "http://127.0.0.1:8080"  # the portal as users reach it: links in messages start here
    refresh_interval_s: float = 3600.0  # at most one fetch per party and agency this often, by the notifier
    max_refreshes_per_pass: int = 200  # parties refreshed per pass; the rest wait for the next pass
    loop_interval_s: float = 60.0  # --loop: a pass this often
    summary_hour: int = 7  # daily summaries go out from this hour (Swedish time)
    claim_lease_s: float = 600.0  # a message claimed by a notifier that died is taken over after this
    retry_base_s: float = 60.0  # SMTP failing: wait this long, doubling per attempt (at most a day)
    max_attempts: int = 10  # then the message is kept as failed, never dropped silently
    confirm_max_age_h: float = 48.0  # how long an address confirmation link works


@dataclass(frozen=True)
class Config:
    settings: PortalSettings
    producers: tuple[ProducerConfig, ...]
    ombud: OmbudConfig
    signatory: SignatoryConfig | None = None
    situations: tuple[SituationConfig, ...] = field(default_factory=tuple)
    source: str = ""
    # Per agency (slug): permission code -> the event-type prefixes it covers. Codes are opaque; an agency's
    # catalog (behorighetskoder) adds its own, and this table wins over it.
    permissions: dict = field(default_factory=dict)
    oidc: OidcConfig | None = None  # None: no real e-ID (only the mock, in demo and test mode)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)

    def producer(self, slug: str) -> ProducerConfig | None:
        return next((p for p in self.producers if p.slug == slug), None)


_ENV_PREFIX = "PORTAL_"
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def load(path: str | os.PathLike | None = None, env: dict | None = None, *, testing: bool = False) -> Config:
    """Read the config file and apply env overrides; raise ConfigError on any problem."""
    env = os.environ if env is None else env
    path = Path(path or env.get("PORTAL_CONFIG") or DEMO_CONFIG)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return parse(doc, env, testing=testing, source=str(path))


def parse(doc: dict, env, *, testing: bool = False, source: str = "") -> Config:
    """Build a Config from parsed TOML and an environment."""
    _only(doc, {"portal", "producer", "ombud", "signatory", "permissions", "situation", "oidc", "smtp", "notify"},
          "top level")
    settings = _settings(doc.get("portal", {}), env)
    if not settings.secret_key and not (testing or settings.demo):
        raise ConfigError("no secret key: set PORTAL_SECRET_KEY (only test and demo mode may run without one)")
    if not (testing or settings.demo) and len(settings.secret_key) < MIN_SECRET_KEY:
        raise ConfigError(f"PORTAL_SECRET_KEY is too short: at least {MIN_SECRET_KEY} random characters "
                          "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')")
    fallback = testing or settings.demo
    fallback_key = DEMO_API_KEY if fallback else None
    fallback_secret = DEMO_CLIENT_SECRET if fallback else None
    producers = tuple(_producer_secrets(_producer(i, p), env, fallback_key, fallback_secret,
                                        f"[[producer]] {p.get('slug') if isinstance(p, dict) else i + 1}")
                      for i, p in enumerate(_list(doc, "producer")))
    if not producers:
        raise ConfigError("no [[producer]] configured")
    slugs = [p.slug for p in producers]
    if len(set(slugs)) != len(slugs):
        raise ConfigError("two [[producer]] entries share a slug")
    if "ombud" not in doc:
        raise ConfigError("[ombud] is missing: the mandate registry's url is required")
    ombud = _build(OmbudConfig, doc["ombud"], "[ombud]")
    ombud = replace(ombud, client_secret=_secret(env, ombud.client_secret_env,
                                                 DEMO_OMBUD_CLIENT_SECRET if fallback else None, "[ombud]",
                                                 "client secret"))
    _check_url(ombud.url, "[ombud] url")
    _check_url(ombud.token_url, "[ombud] token_url")
    signatory = None
    if "signatory" in doc:
        signatory = _build(SignatoryConfig, doc["signatory"], "[signatory]")
        signatory = replace(signatory, api_key=_secret(env, signatory.api_key_env,
                                                       DEMO_SIGNATORY_KEY if fallback else None, "[signatory]",
                                                       "API key"))
        _check_url(signatory.url, "[signatory] url")
    permissions = _permissions(doc.get("permissions", {}), slugs)
    situations = tuple(_situation(i, s) for i, s in enumerate(_list(doc, "situation")))
    smtp = _smtp(doc.get("smtp", {}), env, strict=not (testing or settings.demo))
    notify = _notify(doc.get("notify", {}))
    _check_url(notify.base_url, "[notify] base_url")
    oidc = _oidc(doc["oidc"], env, relaxed=testing or settings.demo) if "oidc" in doc else None
    if oidc is None and not (testing or settings.demo):
        raise ConfigError(NO_EID)
    return Config(settings, producers, ombud, signatory, situations, source, permissions, oidc, smtp, notify)


def _notify(table) -> NotifyConfig:
    """The notifier's table; ``summary_hour`` is an hour of the day, midnight (0) included."""
    table = dict(table) if isinstance(table, dict) else table
    hour = table.pop("summary_hour", None) if isinstance(table, dict) else None
    notify = _build(NotifyConfig, table, "[notify]")
    if hour is not None:
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
            raise ConfigError("[notify] summary_hour must be a whole hour from 0 to 23")
        notify = replace(notify, summary_hour=hour)
    return notify


def _smtp(table, env, *, strict: bool) -> SmtpConfig:
    """The mail relay; with a username, its password must be in the environment (outside demo and test)."""
    if isinstance(table, dict) and "password" in table:
        raise ConfigError("[smtp] password: never in the file; name an env variable with password_env")
    smtp = _build(SmtpConfig, table, "[smtp]")
    password = env.get(smtp.password_env, "")
    if smtp.username and not password and strict:
        raise ConfigError(f"[smtp]: env {smtp.password_env} (the SMTP password) is not set")
    if smtp.username and not smtp.starttls and strict:
        raise ConfigError("[smtp]: a password is never sent without STARTTLS (set starttls = true)")
    return replace(smtp, password=password)


NO_EID = ("no e-ID configured: add an [oidc] section naming your OpenID provider (README: 'Log-in with e-ID'); "
          "the mock e-ID runs only in demo mode (PORTAL_DEMO=1)")


def _oidc(table, env, *, relaxed: bool) -> OidcConfig:
    """The [oidc] table; outside demo and test mode the provider and our callback must be https (or loopback)."""
    cfg = _build(OidcConfig, table, "[oidc]")
    for name in ("issuer", "redirect_url") + (("post_logout_redirect_url",) if cfg.post_logout_redirect_url else ()):
        url = getattr(cfg, name)
        _check_url(url, f"[oidc] {name}")
        parts = urlsplit(url)
        if not relaxed and parts.scheme != "https" and parts.hostname not in _LOOPBACK:
            raise ConfigError(f"[oidc] {name} must be an https URL outside demo mode")
    if "openid" not in cfg.scopes:
        raise ConfigError('[oidc] scopes must include "openid"')
    if not cfg.identity_claims:
        raise ConfigError("[oidc] identity_claims must name at least one claim")
    if not cfg.acr_values:
        raise ConfigError("[oidc] acr_values must name at least one accepted level of assurance")
    if cfg.token_endpoint_auth not in ("client_secret_basic", "client_secret_post"):
        raise ConfigError("[oidc] token_endpoint_auth must be client_secret_basic or client_secret_post")
    secret = env.get(cfg.client_secret_env) or (DEMO_OIDC_SECRET if relaxed else "")
    if not secret:
        raise ConfigError(f"[oidc]: env {cfg.client_secret_env} (the client secret) is not set")
    if not relaxed and len(secret) < MIN_API_KEY:
        raise ConfigError(f"[oidc]: the client secret in env {cfg.client_secret_env} is too short "
                          f"(at least {MIN_API_KEY} characters)")
    return replace(cfg, client_secret=secret)


def _with_key(entry, env, fallback: str | None, where: str):
    """Fill in the API key from the environment; outside demo and test mode it must be there."""
    return replace(entry, api_key=_secret(env, entry.api_key_env, fallback, where, "API key"))


def _secret(env, name: str, fallback: str | None, where: str, what: str) -> str:
    """A secret from env ``name``; outside demo and test mode it must be there, and not be guessably short."""
    value = env.get(name) or fallback
    if not value:
        raise ConfigError(f"{where}: env {name} (its {what}) is not set")
    if fallback is None and len(value) < MIN_API_KEY:
        raise ConfigError(f"{where}: the {what} in env {name} is too short (at least {MIN_API_KEY} characters)")
    return value


def _permissions(table, slugs: list[str]) -> dict[str, dict[str, tuple[str, ...]]]:
    """``[permissions.<slug>]`` tables of ``"<code>" = ["TYPE.PREFIX", ...]``."""
    if not isinstance(table, dict):
        raise ConfigError("[permissions] must be a table of [permissions.<producer slug>] tables")
    out = {}
    for slug, codes in table.items():
        where = f"[permissions.{slug}]"
        if slug not in slugs:
            raise ConfigError(f"{where}: no [[producer]] has slug {slug!r}")
        if not isinstance(codes, dict):
            raise ConfigError(f"{where} must be a table of code = [type prefixes]")
        mapping = {}
        for code, prefixes in codes.items():
            value = _coerce(prefixes, "tuple", f"{where} {code}")
            if not value or not all(is_prefix(p) for p in value):
                raise ConfigError(f"{where} {code} must be a list of type prefixes such as SKV.MOMS")
            mapping[code] = value
        out[slug] = mapping
    return out


def _producer_secrets(entry: ProducerConfig, env, fallback_key: str | None, fallback_secret: str | None,
                      where: str) -> ProducerConfig:
    """Fill in the secret the producer's ``auth`` needs, from the env variable the config names."""
    if entry.auth == "client_headers":
        secret = env.get(entry.client_secret_env) or fallback_secret
        if not secret:
            raise ConfigError(f"{where}: env {entry.client_secret_env} (its client secret) is not set")
        return replace(entry, client_secret=secret)
    return _with_key(entry, env, fallback_key, where)


def _list(doc: dict, key: str) -> list:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"[[{key}]] must be an array of tables")
    return value


def _only(table: dict, allowed: set, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"unknown key(s) in {where}: {', '.join(unknown)}")


def _build(cls, table: dict, where: str):
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    names = {f.name: f for f in fields(cls) if f.name not in ("api_key", "client_secret", "steps")}
    _only(table, set(names), where)
    missing = [n for n, f in names.items() if n not in table and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    values = {}
    for name, value in table.items():
        # A whole number whose default is 0 may be 0 (e.g. proxy_hops); the others start at 1.
        values[name] = _coerce(value, names[name].type, f"{where} {name}", minimum=0 if names[name].default == 0 else 1)
    return cls(**values)


def _coerce(value, type_name, where: str, minimum: int = 1):
    type_name = str(type_name)
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{where} must be a non-negative number")
        return float(value)
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(f"{where} must be a {'non-negative' if minimum == 0 else 'positive'} whole number")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if type_name.startswith("tuple"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(value)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string")
    return value


def _settings(table: dict, env) -> PortalSettings:
    if not isinstance(table, dict):
        raise ConfigError("[portal] must be a table")
    values = dict(table)
    for f in fields(PortalSettings):
        raw = env.get(_ENV_PREFIX + f.name.upper())
        if raw is None:
            continue
        values[f.name] = _from_env(raw, f.type, f.name)
    return _build(PortalSettings, values, "[portal]")


def _from_env(raw: str, type_name, name: str):
    type_name = str(type_name)
    try:
        if type_name == "bool":
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", ""):
                raise ValueError
            return raw.lower() in ("1", "true", "yes")
        if type_name == "float":
            return float(raw)
        if type_name == "int":
            return int(raw)
    except ValueError:
        raise ConfigError(f"env {_ENV_PREFIX}{name.upper()} is not a valid {type_name}") from None
    return raw


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} must be an absolute http(s) URL")


def _producer(index: int, table) -> ProducerConfig:
    where = f"[[producer]] #{index + 1}"
    producer = _build(ProducerConfig, table, where)
    _check_url(producer.url, f"{where} url")
    try:
        parse_organisation(producer.orgnr)
    except InvalidIdentity as exc:
        raise ConfigError(f"{where} orgnr: {exc}") from None
    if len(producer.orgnr) != 10:
        raise ConfigError(f"{where} orgnr must have 10 digits (as Mina ombud's tredjeman)")
    if not producer.slug.replace("-", "").isalnum():
        raise ConfigError(f"{where} slug must be letters, digits and '-'")
    if producer.auth not in PRODUCER_AUTH:
        raise ConfigError(f"{where} auth must be one of {', '.join(PRODUCER_AUTH)}")
    if not _HEADER_NAME.match(producer.api_key_header):
        raise ConfigError(f"{where} api_key_header must be an HTTP header name (letters, digits, '-' and '_')")
    if producer.auth == "client_headers" and not producer.client_id:
        raise ConfigError(f"{where}: auth = \"client_headers\" needs client_id")
    return producer


def _situation(index: int, table) -> SituationConfig:
    where = f"[[situation]] #{index + 1}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    table = dict(table)
    raw_steps = table.pop("step", [])
    if not isinstance(raw_steps, list):
        raise ConfigError(f"{where} step must be an array of tables ([[situation.step]])")
    situation = _build(SituationConfig, table, where)
    bad = [c for c in situation.case_types if not is_prefix(c)]
    if bad or not situation.case_types:
        raise ConfigError(f"{where} case_types must be type prefixes such as LST.VATTENBRUK")
    if not all(is_prefix(c) for c in situation.defining_case_types):
        raise ConfigError(f"{where} defining_case_types must be type prefixes such as LST.VATTENBRUK")
    steps = tuple(_build(StepConfig, step, f"{where} step #{i + 1}") for i, step in enumerate(raw_steps))
    keys = [st.key for st in steps]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{where}: two steps share a key")
    for i, step in enumerate(steps):
        if not step.case_types or not all(is_prefix(c) for c in step.case_types):
            raise ConfigError(f"{where} step #{i + 1} case_types must be type prefixes such as LST.VATTENBRUK")
        if step.parent and step.parent not in keys[:i]:
            raise ConfigError(f"{where} step #{i + 1} parent must name an earlier step's key")
    return replace(situation, steps=steps)
