"""Log-in through an OpenID provider: the authorization code flow with PKCE, as Swedish e-ID brokers offer it.

Authlib's pieces do the protocol: random ``state``/``nonce``/verifier and the S256 challenge, and the ID token's
claims check (``CodeIDToken``: iss, aud, azp, exp, iat, nonce, at_hash); its sibling joserfc checks the signature.
Every call to the provider (discovery, keys, token, userinfo) goes through ``portal.outbound``, so a slow provider
meets a wall-clock deadline; the discovery document and the keys are cached for ``metadata_ttl_s`` and the keys are
fetched again once when a token names a key id we do not know (the provider rotated its keys).

Nothing here imports Flask. Errors carry a ``code`` for the page to show and a message safe to log: never a claim
value, never the identity number.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from portal import outbound
from portal.config import OidcConfig
from portal.standard.identity import Identity, InvalidIdentity, parse_person

FLOW_MAX_AGE_S = 600  # a log-in started longer ago than this is refused at the callback


class OidcError(Exception):
    """A log-in that cannot complete. ``code``: what the person is told (see ``portal.auth``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Login:
    identity: Identity
    name: str
    id_token: str
    acr: str


# --- pure rules ---------------------------------------------------------------------------------------------------

def name_from(claims: dict) -> str:
    """The person's name: given and family name, else ``name``."""
    given, family = claims.get("given_name"), claims.get("family_name")
    parts = [p.strip() for p in (given, family) if isinstance(p, str) and p.strip()]
    if parts:
        return " ".join(parts)
    name = claims.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else ""


def identity_from(claims: dict, identity_claims: tuple[str, ...]) -> Identity:
    """The identity number in the first configured claim present; OidcError("identity") when none is usable."""
    for claim in identity_claims:
        value = claims.get(claim)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise OidcError("identity", f"claim {claim} is not a string")
        try:
            return parse_person(value)
        except InvalidIdentity:
            raise OidcError("identity", f"claim {claim} holds no valid identity number") from None
    raise OidcError("identity", f"none of the claims {', '.join(identity_claims)} was given")


def check_acr(acr, accepted: tuple[str, ...]) -> str:
    """The level of assurance if we accept it; OidcError("acr") for a lower or unknown level."""
    if not isinstance(acr, str) or acr not in accepted:
        raise OidcError("acr", f"level of assurance {acr!r} is not one of the accepted ({', '.join(accepted)})")
    return acr


def holds_identity(id_token: str, identity_claims: tuple[str, ...]) -> bool:
    """Whether a (verified, stored) ID token carries an identity number claim; unreadable counts as yes."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return True
    return not isinstance(claims, dict) or any(claims.get(c) not in (None, "") for c in identity_claims)


def same_secret(a, b) -> bool:
    return isinstance(a, str) and isinstance(b, str) and hmac.compare_digest(a.encode(), b.encode())


# --- the relying party ----------------------------------------------------------------------------------------------

class RelyingParty:
    """One configured provider; thread-safe (gunicorn threads share it)."""

    def __init__(self, cfg: OidcConfig, http: requests.Session | None = None):
        self.cfg = cfg
        self.http = http or outbound.new_session()
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict] | None = None
        self._keys: tuple[float, dict] | None = None

    # provider documents, cached
    def metadata(self) -> dict:
        with self._lock:
            cached = self._metadata
        if cached and time.monotonic() - cached[0] < self.cfg.metadata_ttl_s:
            return cached[1]
        url = self.cfg.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = self._get_json(url, "discovery document")
        if doc.get("issuer") != self.cfg.issuer:
            raise OidcError("provider", "the discovery document names another issuer than configured")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(key), str) or urlsplit(doc[key]).scheme not in ("http", "https"):
                raise OidcError("provider", f"the discovery document has no usable {key}")
        with self._lock:
            self._metadata = (time.monotonic(), doc)
        return doc

    def key_set(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._keys
        if cached and not refresh and time.monotonic() - cached[0] < self.cfg.metadata_ttl_s:
            return KeySet.import_key_set(cached[1])
        doc = self._get_json(self.metadata()["jwks_uri"], "keys (JWKS)")
        try:
            keys = KeySet.import_key_set(doc)
        except (JoseError, ValueError, KeyError, TypeError):
            raise OidcError("provider", "the provider's keys (JWKS) could not be read") from None
        with self._lock:
            self._keys = (time.monotonic(), doc)
        return keys

    # the flow
    def start(self, ui_locale: str) -> tuple[str, dict]:
        """The provider's authorization URL and what to remember until the callback (kept in our session)."""
        meta = self.metadata()
        pending = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64),
                   "started": time.time()}
        params = {
            "response_type": "code", "client_id": self.cfg.client_id, "redirect_uri": self.cfg.redirect_url,
            "scope": " ".join(self.cfg.scopes), "state": pending["state"], "nonce": pending["nonce"],
            "code_challenge": create_s256_code_challenge(pending["verifier"]), "code_challenge_method": "S256",
            "acr_values": " ".join(self.cfg.acr_values), "ui_locales": ui_locale,
        }
        endpoint = meta["authorization_endpoint"]
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params), pending

    def finish(self, pending: dict | None, args: dict) -> Login:
        """Check the callback against ``pending``, exchange the code, verify the ID token; the person who logged in."""
        if not pending or not same_secret(args.get("state"), pending.get("state")):
            raise OidcError("state", "the callback's state does not match the log-in this browser started")
        if time.time() - float(pending.get("started", 0)) > FLOW_MAX_AGE_S:
            raise OidcError("state", "the log-in was started too long ago")
        if args.get("error"):
            raise OidcError("denied", "the provider answered with an error instead of a code")
        meta = self.metadata()
        if args.get("iss") is not None and args.get("iss") != meta["issuer"]:  # RFC 9207: mix-up defence
            raise OidcError("invalid", "the callback names another issuer")
        code = args.get("code")
        if not code:
            raise OidcError("invalid", "the callback has no code")
        tokens = self._exchange(meta, code, pending["verifier"])
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("invalid", "the token answer has no ID token")
        claims = self._verify(meta, id_token, pending["nonce"], tokens.get("access_token"))
        acr = check_acr(claims.get("acr"), self.cfg.acr_values)
        complete = any(claims.get(c) for c in self.cfg.identity_claims) and name_from(claims)
        if not complete and meta.get("userinfo_endpoint") and isinstance(tokens.get("access_token"), str):
            # In the code flow a provider may hand the scopes' claims out at userinfo only (OpenID Connect 5.4).
            info = self._userinfo(meta, tokens["access_token"])
            if info.get("sub") != claims.get("sub"):
                raise OidcError("invalid", "userinfo is about another subject than the ID token")
            claims = {**info, **claims}
        identity = identity_from(claims, self.cfg.identity_claims)
        return Login(identity, name_from(claims), id_token, acr)

    def logout_url(self, id_token: str | None) -> str | None:
        """Where to send the browser for RP-initiated log-out, or None when the provider offers none.

        A redirect (GET), since the provider's session cookie is SameSite=Lax and a cross-site POST would not carry
        it. ``id_token_hint`` goes along unless the token itself holds an identity number (some brokers put it
        there): then ``client_id`` names us instead and the provider asks the person to confirm, so that no
        identity number ends up in a URL, even base64-encoded.
        """
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except OidcError:
            return None
        if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
            return None
        params = {"post_logout_redirect_uri": self.post_logout_url()}
        if id_token and not holds_identity(id_token, self.cfg.identity_claims):
            params["id_token_hint"] = id_token
        else:
            params["client_id"] = self.cfg.client_id
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    def post_logout_url(self) -> str:
        if self.cfg.post_logout_redirect_url:
            return self.cfg.post_logout_redirect_url
        parts = urlsplit(self.cfg.redirect_url)
        return f"{parts.scheme}://{parts.netloc}/login"

    # calls
    def _get_json(self, url: str, what: str, **kwargs) -> dict:
        try:
            answer = outbound.call(self.http, "GET", url, deadline_s=self.cfg.timeout_s, max_bytes=512 * 1024,
                                   headers={"Accept": "application/json", **kwargs.pop("headers", {})}, **kwargs)
        except outbound.OutboundFailed as exc:
            raise OidcError("provider", f"{what}: {exc}") from None
        if answer.status != 200:
            raise OidcError("provider", f"{what}: HTTP {answer.status}")
        try:
            doc = answer.json()
        except ValueError:
            raise OidcError("provider", f"{what}: not JSON") from None
        if not isinstance(doc, dict):
            raise OidcError("provider", f"{what}: not a JSON object")
        return doc

    def _exchange(self, meta: dict, code: str, verifier: str) -> dict:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.cfg.redirect_url,
                "code_verifier": verifier}
        headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
        if self.cfg.token_endpoint_auth == "client_secret_post":
            data |= {"client_id": self.cfg.client_id, "client_secret": self.cfg.client_secret}
        else:  # RFC 6749 2.3.1: id and secret form-encoded before base64
            pair = f"{quote_plus(self.cfg.client_id)}:{quote_plus(self.cfg.client_secret)}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        try:
            answer = outbound.call(self.http, "POST", meta["token_endpoint"], deadline_s=self.cfg.timeout_s,
                                   max_bytes=256 * 1024, data=urlencode(data), headers=headers)
        except outbound.OutboundFailed as exc:
            raise OidcError("provider", f"token endpoint: {exc}") from None
        try:
            doc = answer.json()
        except ValueError:
            doc = None
        if answer.status == 400 and isinstance(doc, dict) and doc.get("error") == "invalid_grant":
            raise OidcError("refused", "the provider refused the code (used already, expired, or PKCE mismatch)")
        if answer.status != 200 or not isinstance(doc, dict):
            raise OidcError("provider" if answer.status >= 500 else "refused",
                            f"token endpoint: HTTP {answer.status}")
        return doc

    def _verify(self, meta: dict, id_token: str, nonce: str, access_token) -> dict:
        algorithms = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
        registry = JWSRegistry(algorithms=[a for a in algorithms if a != "none"])
        try:
            try:
                token = jwt.decode(id_token, self.key_set(), registry=registry)
            except InvalidKeyIdError:
                # Keys rotate: fetch them once more. Only ever for a token the token endpoint just gave us in
                # exchange for a code and our secret, so nobody can make us fetch at will.
                token = jwt.decode(id_token, self.key_set(refresh=True), registry=registry)
        except InvalidKeyIdError:
            raise OidcError("invalid", "the ID token is signed with a key the provider does not publish") from None
        except (JoseError, ValueError) as exc:
            raise OidcError("invalid", f"the ID token's signature does not hold ({exc.__class__.__name__})") from None
        options = {"iss": {"essential": True, "value": meta["issuer"]},
                   "aud": {"essential": True, "value": self.cfg.client_id}}
        params = {"nonce": nonce, "client_id": self.cfg.client_id}
        if isinstance(access_token, str):
            params["access_token"] = access_token
        claims = CodeIDToken(token.claims, token.header, options, params)
        try:
            claims.validate(now=int(time.time()), leeway=int(self.cfg.leeway_s))
        except JoseError as exc:
            # joserfc names the failing claim (exp, aud, nonce, ...), never its value.
            raise OidcError("invalid", f"the ID token was refused: {exc.__class__.__name__} "
                                       f"{getattr(exc, 'claim', '')}".strip()) from None
        if not claims.get("nonce"):
            raise OidcError("invalid", "the ID token carries no nonce")
        return dict(claims)

    def _userinfo(self, meta: dict, access_token: str) -> dict:
        return self._get_json(meta["userinfo_endpoint"], "userinfo",
                              headers={"Authorization": f"Bearer {access_token}"})
