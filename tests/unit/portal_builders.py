"""Builders for the unit tests of the portal core (representation, overview, config, store, sync).

Identity numbers are fictitious (see ``builders``); agency org numbers are the demo
configuration's.
"""

from __future__ import annotations

import copy
import dataclasses
import threading

from builders import ORGNR12, PNR

from portal import config as config_mod
from portal.producers import FetchResult, ProducerFailed
from portal.representation import MANDATE, OWN, SIGNATORY, Grant, Party
from portal.standard.identity import ORGANISATIONSNUMMER, PERSONNUMMER, Identity

# Agencies (10-digit org numbers, as Mina ombud's tredjeman), taken from portal/demo.toml.
SKV_ORGNR = "2021005448"
LST_ORGNR = "2021002114"
TANUM_ORGNR = "2120001322"

SECRET = "unit-test-secret-key-0123456789abcdef"
API_KEY = "unit-test-api-key-0123456789abcdef0123456789"


def statements_run(store, words: int = 1) -> list[str]:
    """Every statement the store's connection runs from now on, by its first ``words`` words in lower case (an
    executemany counts once)."""
    from sqlalchemy import event
    seen: list[str] = []
    event.listen(store.db.connection, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(" ".join(statement.split()[:words]).lower()))
    return seen


def person(digits: str = PNR) -> Identity:
    return Identity(digits, PERSONNUMMER)


def company(digits12: str = ORGNR12) -> Identity:
    return Identity(digits12, ORGANISATIONSNUMMER)


def own_party(digits: str = PNR, name: str = "Anna Användare") -> Party:
    return Party(person(digits), name, OWN)


def signatory_party(digits12: str = ORGNR12, name: str = "Fiskodlarna AB") -> Party:
    return Party(company(digits12), name, SIGNATORY)


def mandate_party(*grants: tuple[str, tuple[str, ...]], identity: Identity | None = None,
                  name: str = "Fiskodlarna AB") -> Party:
    """A mandate party; each grant is ``(tredjeman, codes)``, each code mapped to itself as a type prefix
    (the demo world's convention). Default: SKV.MOMS at Skatteverket."""
    if not grants:
        grants = ((SKV_ORGNR, ("SKV.MOMS",)),)
    return Party(identity or company(), name, MANDATE,
                 tuple(Grant(t, tuple(c), tuple(sorted(c)), (), (MANDATE_ID,)) for t, c in grants))


MANDATE_ID = "00000000-0000-4000-8000-000000000001"


def prefix_mappings(permissions: list[dict]) -> dict[str, dict[str, list[str]]]:
    """Per tredjeman, every code of ``permissions`` mapped to itself as a type prefix (the demo convention)."""
    out: dict[str, dict[str, list[str]]] = {}
    for entry in permissions:
        for b in entry["behorigheter"]:
            out.setdefault(entry["tredjeman"], {})[b["kod"]] = [b["kod"]]
    return out


def permission(giver_id: str, giver_typ: str = "orgnr", *, namn: str | None = "Fiskodlarna AB",
               tredjeman: str = SKV_ORGNR, koder=("SKV.MOMS",), typ: str = "aktiv", fornamn: str | None = None) -> dict:
    """One ``fullmaktsgivare`` entry of a ``sok/behorigheter`` answer."""
    giver = {"id": giver_id, "typ": giver_typ, "roll": "ORGANISATION" if giver_typ == "orgnr" else "PRIVAT"}
    if namn is not None:
        giver["namn"] = namn
    if fornamn is not None:
        giver["fornamn"] = fornamn
    return {
        "fullmaktsgivare": giver,
        "fullmaktshavare": [{"id": PNR, "typ": "pnr"}],
        "tredjeman": tredjeman,
        "behorigheter": [{"kod": k, "typ": typ, "fullmakt": MANDATE_ID} for k in koder],
        "_sig": {"signature": "c2lnbmF0dXJl"},
    }


# --- configuration -----------------------------------------------------------------

def producer_table(slug: str = "skatteverket", name: str = "Skatteverket", orgnr: str = SKV_ORGNR,
                   **extra) -> dict:
    table = {"slug": slug, "name": name, "orgnr": orgnr, "url": f"http://127.0.0.1:8081/{slug}"}
    table.update(extra)
    return table


OIDC_SECRET = "oidc-client-secret-0123456789"
OIDC_TABLE = {"issuer": "https://eid.example.se", "client_id": "mina-arenden",
              "redirect_url": "https://portal.example.se/login/callback"}


def config_doc(**portal) -> dict:
    """A parsed-TOML document the portal accepts (outside test mode with ``PROD_ENV``): two agencies, one
    situation, an OpenID provider."""
    return copy.deepcopy({
        "portal": dict(portal),
        "oidc": OIDC_TABLE,
        "ombud": {"url": "http://127.0.0.1:8081/minaombud/dfm/formedlare/v1",
                  "token_url": "http://127.0.0.1:8081/minaombud/oauth2/token", "client_id": "mina-arenden-portal"},
        "producer": [
            producer_table(),
            producer_table("lansstyrelsen", "Länsstyrelsen Västra Götaland", LST_ORGNR),
        ],
        "situation": [{"slug": "starta-vattenbruk", "name_sv": "Starta vattenbruk",
                       "name_en": "Starting aquaculture", "case_types": ["LST.VATTENBRUK", "SKV.MOMS"]}],
    })


def sync_config(**settings) -> config_mod.Config:
    """Three agencies (Skatteverket, Länsstyrelsen, Tanum) with settings overridden for sync tests."""
    doc = config_doc()
    doc["producer"].append(producer_table("tanum", "Tanums kommun", TANUM_ORGNR))
    cfg = config_mod.parse(doc, {}, testing=True)
    return dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, **settings))


# --- fake producer clients ------------------------------------------------------------

class FakeClient:
    """Stands in for ``ProducerClient``: records each call, answers from a script.

    ``answer`` is a FetchResult, a ProducerFailed (raised), or a callable
    ``(call) -> FetchResult`` for per-call behaviour.
    """

    def __init__(self, answer=None):
        self.answer = FetchResult() if answer is None else answer
        self.calls: list[dict] = []
        self._lock = threading.Lock()

    def fetch(self, kund, anvandare, correlation_id, *, since=None, language="sv"):
        call = {"kund": kund, "anvandare": anvandare, "correlation_id": correlation_id, "since": since,
                "language": language}
        with self._lock:
            self.calls.append(call)
        answer = self.answer
        if isinstance(answer, ProducerFailed):
            raise answer
        if callable(answer):
            return answer(call)
        return FetchResult(events=list(answer.events), invalid=answer.invalid, foreign=answer.foreign,
                           pages=1, incomplete=list(answer.incomplete), failed_behind=list(answer.failed_behind))

    def answer_with(self, events=(), **kw) -> None:
        self.answer = FetchResult(events=list(events), **kw)

    def fail_with(self, reason: str = "down", message: str = "producer not reachable") -> None:
        self.answer = ProducerFailed(reason, message)
