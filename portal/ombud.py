"""Clients of Mina ombud (Bolagsverket's consumer API, ``dfm_konsument_v1``) and of the signatory source.

Mina ombud: an OAuth2 client-credentials token (scope ``fullmakt:hamta``), cached
until shortly before it expires and fetched again once when the registry answers
401; then one ``POST {url}/sok/behorigheter`` per connected agency (``tredjeman``
is required), concurrently, every page read, each answer validated against the
contract's response schema. ``GET {url}/tredjeman/{orgnr}/fullmakter/{id}`` says
what one mandate covers.

Every call goes through ``portal.outbound.call`` under one wall-clock deadline
per look-up, so a registry that trickles its answer is abandoned in time.
Failures raise ``LookupFailed`` naming the source (and the agency, when only one
agency's search failed); messages are safe to log (no identity numbers).
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import requests

from portal import outbound
from portal.config import OmbudConfig, SignatoryConfig
from portal.standard import schemas
from portal.standard.identity import Identity

MAX_PAGES = 20
PAGE_SIZE = 100
TOKEN_MARGIN_S = 30.0  # a token is renewed this long before it expires, so none expires on its way
MAX_BYTES = 4 * 1024 * 1024

REGISTRY = "registry"
SIGNATORY = "signatory"

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="ombud")


class LookupFailed(Exception):
    """A look-up gave no usable answer. ``source``: registry or signatory; ``agency``: the tredjeman, if one."""

    def __init__(self, source: str, message: str, agency: str | None = None):
        super().__init__(message)
        self.source = source
        self.agency = agency


class RegistryUnavailable(LookupFailed):
    def __init__(self, message: str, agency: str | None = None):
        super().__init__(REGISTRY, message, agency)


class SignatoryUnavailable(LookupFailed):
    def __init__(self, message: str):
        super().__init__(SIGNATORY, message)


def _failure(source: str, message: str, agency: str | None = None) -> LookupFailed:
    return SignatoryUnavailable(message) if source == SIGNATORY else RegistryUnavailable(message, agency)


class _Clock:
    """The time left of one look-up's deadline."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


class TokenSource:
    """An OAuth2 client-credentials token, shared by every thread, renewed shortly before it expires."""

    def __init__(self, config: OmbudConfig, session: requests.Session):
        self.config = config
        self.session = session
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def get(self, clock: _Clock) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._token, lifetime = self._fetch(clock)
                # Renewed TOKEN_MARGIN_S before it expires (half its life, for a short-lived token).
                self._renew_at = time.monotonic() + lifetime - min(TOKEN_MARGIN_S, lifetime / 2)
            return self._token

    def discard(self, token: str) -> None:
        """Forget ``token`` (the registry refused it), unless another thread already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self, clock: _Clock) -> tuple[str, float]:
        answer = _call(self.session, "POST", self.config.token_url, clock, REGISTRY, "token",
                       data={"grant_type": "client_credentials", "scope": self.config.scope},
                       auth=(self.config.client_id, self.config.client_secret))
        if answer.status != 200:
            raise RegistryUnavailable(f"token endpoint answered {answer.status}")
        body = _json(answer, REGISTRY, "token answer")
        token, lifetime = (body.get("access_token"), body.get("expires_in", 300)) if isinstance(body, dict) else (None, 0)
        if not isinstance(token, str) or not token or isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)):
            raise RegistryUnavailable("token answer is malformed")
        if str(body.get("token_type", "Bearer")).lower() != "bearer":
            raise RegistryUnavailable("token answer is not a Bearer token")
        return token, float(lifetime)


def _call(session, method: str, url: str, clock: _Clock, source: str, what: str, agency: str | None = None, **kw):
    left = clock.left()
    if left <= 0:
        raise _failure(source, f"{what}: no time left before the deadline", agency)
    try:
        return outbound.call(session, method, url, deadline_s=left, max_bytes=MAX_BYTES, **kw)
    except outbound.OutboundFailed as exc:
        raise _failure(source, f"{what}: {exc.reason} ({exc})", agency) from None


def _json(answer, source: str, what: str, agency: str | None = None):
    try:
        return answer.json()
    except ValueError:
        raise _failure(source, f"{what} is not JSON", agency) from None


class OmbudClient:
    def __init__(self, config: OmbudConfig, session: requests.Session):
        self.config = config
        self.session = session
        self.tokens = TokenSource(config, session)

    def _authorized(self, method: str, path: str, clock: _Clock, agency: str | None, what: str, *,
                    headers: dict, **kw):
        """One call with the Bearer token; on 401 a new token is fetched and the call made once more."""
        for attempt in (1, 2):
            token = self.tokens.get(clock)
            sent = {"Authorization": f"Bearer {token}", "Accept": "application/json", **headers}
            answer = _call(self.session, method, self.config.url.rstrip("/") + path, clock, REGISTRY, what, agency,
                           headers=sent, **kw)
            if answer.status == 401 and attempt == 1:
                self.tokens.discard(token)
                continue
            return answer
        return answer

    def _search(self, holder: Identity, tredjeman: str, correlation_id: str, clock: _Clock) -> list[dict]:
        """Every grantor entry for ``holder`` at one agency, all pages."""
        holder_id, holder_typ = holder.ombud_id()
        entries: list[dict] = []
        for page in range(MAX_PAGES):
            body = {"fullmaktshavare": {"id": holder_id, "typ": holder_typ}, "tredjeman": tredjeman,
                    "behorigheter": [], "page": {"page": page, "size": PAGE_SIZE}}
            answer = self._authorized("POST", "/sok/behorigheter", clock, tredjeman, "sok/behorigheter",
                                      data=json.dumps(body),
                                      headers={"Content-Type": "application/json",
                                               "skv_client_correlation_id": correlation_id})
            if answer.status != 200:
                raise RegistryUnavailable(f"sok/behorigheter answered {answer.status}", tredjeman)
            doc = _json(answer, REGISTRY, "sok/behorigheter answer", tredjeman)
            problems = schemas.problems("ombud", doc, "SokBehorigheterSvar")
            if problems:
                raise RegistryUnavailable("sok/behorigheter answer is malformed: " + problems[0], tredjeman)
            for entry in doc["fullmaktsgivare"]:
                if entry["tredjeman"] != tredjeman or not any(
                        (h["id"], h["typ"]) == (holder_id, holder_typ) for h in entry["fullmaktshavare"]):
                    raise RegistryUnavailable("sok/behorigheter answered for another agency or holder", tredjeman)
            entries += doc["fullmaktsgivare"]
            if page + 1 >= doc["page"]["totalPages"] or not doc["fullmaktsgivare"]:
                return entries
        raise RegistryUnavailable(f"more than {MAX_PAGES} pages", tredjeman)

    def permissions(self, holder: Identity, agencies: list[str], correlation_id: str) -> tuple[list[dict], list[LookupFailed]]:
        """Every grantor entry naming ``holder`` at each agency (tredjeman), asked concurrently and merged.

        Returns the entries of the agencies that answered and the failures of those that did not;
        raises ``RegistryUnavailable`` when none answered (e.g. no token).
        """
        clock = _Clock(self.config.deadline_s)
        self.tokens.get(clock)  # one token for all searches, fetched before they start
        futures = {a: _pool.submit(self._search, holder, a, correlation_id, clock) for a in dict.fromkeys(agencies)}
        wait(futures.values(), timeout=max(clock.left(), 0) + 0.5)
        entries, failures = [], []
        for agency, future in futures.items():
            if not future.done():
                failures.append(RegistryUnavailable("no answer before the deadline", agency))
                continue
            exc = future.exception()
            if exc is None:
                entries += future.result()
            elif isinstance(exc, LookupFailed):
                failures.append(exc if exc.agency else RegistryUnavailable(str(exc), agency))
            else:
                raise exc
        if futures and len(failures) == len(futures):
            raise RegistryUnavailable(f"no agency's search answered ({failures[0]})")
        return entries, failures

    def mandate(self, tredjeman: str, fullmakt_id: str, correlation_id: str) -> dict:
        """One whole mandate (``fullmakt`` and ``metadata``), validated."""
        clock = _Clock(self.config.deadline_s)
        safe_id = requests.utils.quote(fullmakt_id, safe="")
        answer = self._authorized("GET", f"/tredjeman/{tredjeman}/fullmakter/{safe_id}", clock, tredjeman,
                                  "fullmakter/{id}", headers={"skv_client_correlation_id": correlation_id})
        if answer.status != 200:
            raise RegistryUnavailable(f"fullmakter/{{id}} answered {answer.status}", tredjeman)
        doc = _json(answer, REGISTRY, "fullmakter/{id} answer", tredjeman)
        problems = schemas.problems("ombud", doc, "FullmaktSvar")
        if problems:
            raise RegistryUnavailable("fullmakter/{id} answer is malformed: " + problems[0], tredjeman)
        return doc

    def mandates(self, wanted: list[tuple[str, str]], correlation_id: str) -> dict[tuple[str, str], dict | None]:
        """Several mandates at once; None for those that could not be read in time."""
        futures = {key: _pool.submit(self.mandate, key[0], key[1], correlation_id) for key in dict.fromkeys(wanted)}
        wait(futures.values(), timeout=self.config.deadline_s + 0.5)
        return {key: (f.result() if f.done() and f.exception() is None else None) for key, f in futures.items()}


class SignatoryClient:
    """Companies a person may sign for, from the signatory source (its own URL, key and deadline)."""

    def __init__(self, config: SignatoryConfig | None, session: requests.Session):
        self.config = config
        self.session = session

    def companies(self, person: Identity, correlation_id: str) -> list[dict]:
        """``[{"orgnr": "<10 digits>", "namn": ...}]``; [] when no source is configured."""
        if self.config is None:
            return []
        clock = _Clock(self.config.deadline_s)
        headers = {self.config.api_key_header: self.config.api_key, "Content-Type": "application/json",
                   "skv_client_correlation_id": correlation_id}
        answer = _call(self.session, "POST", self.config.url.rstrip("/") + "/firmatecknare", clock, SIGNATORY,
                       "firmatecknare", data=json.dumps({"pnr": person.digits}), headers=headers)
        if answer.status != 200:
            raise SignatoryUnavailable(f"firmatecknare answered {answer.status}")
        doc = _json(answer, SIGNATORY, "firmatecknare answer")
        problems = schemas.problems("ombud", doc, "FirmatecknareSvar")
        if problems:
            raise SignatoryUnavailable("firmatecknare answer is malformed: " + problems[0])
        return doc["firmatecknare"]
