"""Client of the mandate registry (Mina ombud ``sok/behorigheter``) and the signatory look-up."""

from __future__ import annotations

import json

import requests

from portal.config import OmbudConfig
from portal.standard import schemas
from portal.standard.identity import Identity

MAX_PAGES = 20
PAGE_SIZE = 100


class RegistryUnavailable(Exception):
    """The registry did not give a usable answer; the message is safe to log."""


class OmbudClient:
    def __init__(self, config: OmbudConfig, session: requests.Session):
        self.config = config
        self.session = session

    def _post(self, path: str, body: dict, correlation_id: str) -> dict:
        headers = {"X-API-Key": self.config.api_key, "Content-Type": "application/json",
                   "skv_client_correlation_id": correlation_id}
        try:
            r = self.session.post(self.config.url.rstrip("/") + path, data=json.dumps(body), headers=headers,
                                  timeout=self.config.timeout_s)
        except requests.RequestException as exc:
            raise RegistryUnavailable(f"registry not reachable ({exc.__class__.__name__})") from None
        if r.status_code != 200:
            raise RegistryUnavailable(f"registry answered {r.status_code}")
        try:
            return r.json()
        except ValueError:
            raise RegistryUnavailable("registry answer is not JSON") from None

    def permissions(self, holder: Identity, correlation_id: str) -> list[dict]:
        """Every (grantor, agency) entry that names ``holder`` as representative, all pages."""
        holder_id, holder_typ = holder.ombud_id()
        entries: list[dict] = []
        for page in range(MAX_PAGES):
            body = {"fullmaktshavare": {"id": holder_id, "typ": holder_typ}, "behorigheter": [],
                    "page": {"page": page, "size": PAGE_SIZE}}
            answer = self._post("/sok/behorigheter", body, correlation_id)
            problems = schemas.problems("ombud", answer, "SokBehorigheterSvar")
            if problems:
                raise RegistryUnavailable("registry answer is malformed: " + problems[0])
            entries += answer["fullmaktsgivare"]
            if page + 1 >= answer["page"]["totalPages"]:
                break
        return entries

    def signatory_of(self, person: Identity, correlation_id: str) -> list[dict]:
        """Companies ``person`` may sign for: ``[{"orgnr", "namn"}]``."""
        answer = self._post("/firmatecknare", {"pnr": person.digits}, correlation_id)
        rows = answer.get("firmatecknare") if isinstance(answer, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise RegistryUnavailable("signatory answer is malformed")
        return rows
