"""The ``[oidc]`` table: log-in through an OpenID provider, checked as the Swedish OpenID Connect Profile expects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from .reading import MIN_API_KEY, ConfigError, _build, _check_url


# The test OpenID provider's client secret (tests/oidc/provider.js), when the env has none: demo and test mode only.
DEMO_OIDC_SECRET = "demo-oidc-client-secret-0123456789"
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
