"""What the registry battery works with: the OAuth2 client, the context of one run, and readers of answers.

The checks themselves are in ``registry_checks`` (as the producer side keeps ``producer_context`` apart from its
families of checks).
"""

from __future__ import annotations

import base64
import json
import math
import urllib.parse
from dataclasses import dataclass, field

from .client import Client, Exchange
from .report import Evidence

OPERATION = "/sok/behorigheter"
SCOPE = "fullmakt:hamta"
FULL_PAGE = 100
MAX_PAGES = 60
MANDATES_PER_AGENCY = 3  # mandates fetched per tredjeman for mandate.fetch

class Unusable(ValueError):
    """An answer the consistency checks cannot read."""


@dataclass
class OAuthClient:
    """Where and how the kit gets its token: RFC 6749 client credentials."""

    token_url: str
    client_id: str
    client_secret: str
    scope: str = SCOPE
    auth_method: str = "basic"  # client_secret_basic (RFC 6749 2.3.1), or "post": client_secret_post

    def request(self, client: Client, label: str, *, secret: str | None = None, scope: str | None = None) -> Exchange:
        secret = self.client_secret if secret is None else secret
        form = {"grant_type": "client_credentials", "scope": self.scope if scope is None else scope}
        headers = {"Accept": "application/json"}
        if self.auth_method == "post":
            form.update(client_id=self.client_id, client_secret=secret)
        else:
            pair = f"{urllib.parse.quote(self.client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return client.call(self.token_url, None, label=label, data=urllib.parse.urlencode(form),
                           content_type="application/x-www-form-urlencoded", key=None, correlation=None,
                           headers=headers)


@dataclass
class RegistryContext:
    client: Client
    oauth: OAuthClient
    holder: dict
    tredjeman: list[str]
    max_p95: float = 2.0
    token_answer: Exchange | None = None
    _full: dict = field(default_factory=dict)
    _pages: dict = field(default_factory=dict)

    def authenticate(self) -> Exchange:
        """Fetch the token once; the client sends it as ``Authorization: Bearer`` from then on."""
        if self.token_answer is None:
            self.token_answer = self.oauth.request(self.client, f"token, scope {self.oauth.scope}")
            body = self.token_answer.json
            if self.token_answer.status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"),
                                                                                         str):
                self.client.api_key = body["access_token"]
        return self.token_answer

    def body(self, tredjeman: str | None, **extra) -> dict:
        out = {"fullmaktshavare": dict(self.holder), "behorigheter": []}
        if tredjeman is not None:
            out["tredjeman"] = tredjeman
        return {**out, **extra}

    def sok(self, tredjeman: str | None, label: str, **extra) -> Exchange:
        return self.client.call(OPERATION, self.body(tredjeman, **extra), label=label, correlation=None)

    def full(self, tredjeman: str) -> Exchange:
        """One page of 100 for ``tredjeman``: the reference the other answers are compared with."""
        if tredjeman not in self._full:
            self._full[tredjeman] = self.sok(tredjeman, f"tredjeman {tredjeman}, page 0 of size {FULL_PAGE}",
                                             page={"page": 0, "size": FULL_PAGE})
        return self._full[tredjeman]

    def with_data(self, ev: Evidence) -> list[tuple[str, list[dict]]]:
        """(tredjeman, entries) for each agency whose reference answer has entries; a skip reason when none has."""
        usable = []
        for t in self.tredjeman:
            try:
                entries = entries_of(self.full(t))
            except Unusable:
                continue
            if entries:
                usable.append((t, entries))
        if not usable:
            ev.skip("the holder has no permissions at any given tredjeman (or no usable answer): "
                    "give --holder and --tredjeman with mandates")
        return usable

    def pages(self, tredjeman: str, size: int, count: int) -> list[Exchange]:
        """Pages of ``size`` covering ``count`` entries plus one past the end (at most MAX_PAGES), asked once."""
        if (tredjeman, size) not in self._pages:
            n = min(math.ceil(count / size) + 1, MAX_PAGES)
            self._pages[(tredjeman, size)] = [
                self.sok(tredjeman, f"tredjeman {tredjeman}, page {number} of size {size}",
                         page={"page": number, "size": size}) for number in range(n)]
        return self._pages[(tredjeman, size)]

    def answers(self) -> list[Exchange]:
        """Every answered search (200) the kit sent a JSON body for."""
        return [x for x in self.client.log if x.status == 200 and x.sent is not None and x.path == OPERATION]


def entries_of(ex: Exchange) -> list[dict]:
    if ex.status != 200:
        raise Unusable(f"{ex.brief()}: expected 200")
    body = ex.json
    if not isinstance(body, dict) or not isinstance(body.get("fullmaktsgivare"), list):
        raise Unusable(f"{ex.brief()}: no 'fullmaktsgivare' list")
    return [e for e in body["fullmaktsgivare"] if isinstance(e, dict)]


def page_of(ex: Exchange) -> dict:
    page = ex.json.get("page") if isinstance(ex.json, dict) else None
    return page if isinstance(page, dict) else {}


def comparable(entry: dict) -> str:
    """An entry without its signature, as canonical JSON."""
    return json.dumps({k: v for k, v in entry.items() if k != "_sig"}, sort_keys=True, ensure_ascii=False)


def giver(entry: dict) -> dict:
    return entry.get("fullmaktsgivare") if isinstance(entry.get("fullmaktsgivare"), dict) else {}


def grantor_key(entry: dict) -> tuple:
    return giver(entry).get("typ"), giver(entry).get("id"), entry.get("tredjeman")


def codes(entry: dict) -> list:
    return [b.get("kod") for b in entry.get("behorigheter") or [] if isinstance(b, dict)]


def grantor_name(entry: dict) -> str:
    """``fornamn namn`` for a person, ``namn`` for an organisation."""
    g = giver(entry)
    return " ".join(str(g[k]) for k in ("fornamn", "namn") if isinstance(g.get(k), str))


def default_token_url(url: str) -> str:
    """The contract's ``tokenUrl: /oauth2/token`` resolved against the registry's URL (RFC 3986): the host's root."""
    return urllib.parse.urljoin(url, "/oauth2/token")
