"""Portal configuration: a TOML file (env ``PORTAL_CONFIG``) plus ``PORTAL_*`` overrides.

Bad configuration stops start-up with a ``ConfigError`` naming the problem:
an unreadable file, an unknown key, a missing URL, a missing secret key
outside test and demo mode. One module per part of the file: ``settings`` ([portal]),
``agencies`` ([[producer]], [ombud], [signatory], [permissions]), ``oidc``,
``situations``, ``notices`` ([smtp], [notify]); ``reading`` turns a table into a
dataclass. This module puts them together into one ``Config``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .agencies import (DEMO_API_KEY, DEMO_CLIENT_SECRET, DEMO_OMBUD_CLIENT_SECRET, DEMO_SIGNATORY_KEY, PRODUCER_AUTH,
                       OmbudConfig, ProducerConfig, SignatoryConfig, _permissions, _producer, _producer_secrets)
from .notices import NotifyConfig, SmtpConfig, _notify, _smtp
from .oidc import (COORDINATION_CLAIM, DEMO_OIDC_SECRET, LOA3, LOA4, NO_EID, PNR_CLAIM, PNR_SCOPE, OidcConfig,
                   _oidc)
from .reading import MIN_API_KEY, MIN_SECRET_KEY, ConfigError, _build, _check_url, _list, _only, _secret
from .settings import DEMO_CONFIG, ROOT, PortalSettings, _settings
from .situations import SituationConfig, StepConfig, _situation

__all__ = ["COORDINATION_CLAIM", "DEMO_API_KEY", "DEMO_CLIENT_SECRET", "DEMO_CONFIG", "DEMO_OIDC_SECRET",
           "DEMO_OMBUD_CLIENT_SECRET", "DEMO_SIGNATORY_KEY", "LOA3", "LOA4", "MIN_API_KEY", "MIN_SECRET_KEY", "NO_EID",
           "PNR_CLAIM", "PNR_SCOPE", "PRODUCER_AUTH", "ROOT", "Config", "ConfigError", "NotifyConfig", "OidcConfig",
           "OmbudConfig", "PortalSettings", "ProducerConfig", "SignatoryConfig", "SituationConfig", "SmtpConfig",
           "StepConfig", "load", "parse"]


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
