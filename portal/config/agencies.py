"""The agencies, Mina ombud and the signatory source: where they are and how we authenticate to each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from portal.standard.eventtypes import is_prefix
from portal.standard.identity import InvalidIdentity, parse_organisation

from .reading import ConfigError, _build, _check_url, _coerce, _secret


# The mock world's keys when their env variables are unset; used only in demo and test mode.
DEMO_API_KEY = "demo-api-key-0123456789abcdef0123456789"
DEMO_OMBUD_CLIENT_SECRET = "demo-ombud-secret-0123456789abcdef0123"
DEMO_SIGNATORY_KEY = "demo-signatory-key-0123456789abcdef0123"
# The mock agencies' client secret (client_id/client_secret headers) in demo and test mode.
DEMO_CLIENT_SECRET = "demo-client-secret-0123456789abcdef0123"
PRODUCER_AUTH = ("api_key", "client_headers")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


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


def _with_key(entry, env, fallback: str | None, where: str):
    """Fill in the API key from the environment; outside demo and test mode it must be there."""
    return replace(entry, api_key=_secret(env, entry.api_key_env, fallback, where, "API key"))


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
