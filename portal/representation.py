"""Acting for others: whom a user may act for, and what each basis lets them see.

Pure decisions, no Flask and no I/O. A user may act for
- themself (basis ``own``): everything;
- each company they sign for (``signatory``): everything;
- each grantor of a mandate valid today in Mina ombud (``mandate``): only at the
  agencies the mandate names (tredjeman), only event types its permission codes
  cover.
Parties are referred to by opaque handles bound to one login session, so a
handle from another session, or a guessed one, matches nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from portal.standard.identity import Identity, InvalidIdentity, from_ombud, parse_organisation
from portal.standard.mandates import code_covers

OWN = "own"
SIGNATORY = "signatory"
MANDATE = "mandate"


@dataclass(frozen=True)
class Grant:
    """Permission codes a mandate gives at one agency (``tredjeman``, 10-digit orgnr)."""

    tredjeman: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Party:
    """Someone the user may act for, and on what basis."""

    identity: Identity
    name: str
    basis: str
    grants: tuple[Grant, ...] = ()

    @property
    def full_access(self) -> bool:
        return self.basis in (OWN, SIGNATORY)

    def codes_at(self, producer_orgnr: str) -> tuple[str, ...] | None:
        """Permission codes at an agency; None when this party's events there are out of reach."""
        if self.full_access:
            return ()
        codes = tuple(c for g in self.grants if g.tredjeman == producer_orgnr for c in g.codes)
        return codes or None

    def may_see_producer(self, producer_orgnr: str) -> bool:
        return self.codes_at(producer_orgnr) is not None

    def may_see(self, producer_orgnr: str, event_type: str, catalog_codes: dict | None = None) -> bool:
        """True when an event of ``event_type`` from that agency falls under what was granted."""
        codes = self.codes_at(producer_orgnr)
        if codes is None:
            return False
        if self.full_access:
            return True
        return any(code_covers(c, event_type, catalog_codes) for c in codes)

    def scope(self, producer_orgnr: str) -> str:
        """A stable label of what this basis may fetch at an agency (keys incremental-sync state)."""
        codes = self.codes_at(producer_orgnr)
        return "*" if codes == () else ",".join(sorted(codes or ()))

    def to_json(self) -> dict:
        return {"digits": self.identity.digits, "kind": self.identity.kind, "name": self.name, "basis": self.basis,
                "grants": [{"tredjeman": g.tredjeman, "codes": list(g.codes)} for g in self.grants]}

    @classmethod
    def from_json(cls, obj: dict) -> "Party":
        return cls(Identity(obj["digits"], obj["kind"]), obj["name"], obj["basis"],
                   tuple(Grant(g["tredjeman"], tuple(g["codes"])) for g in obj["grants"]))


@dataclass(frozen=True)
class Representation:
    """Every party a user may act for now, plus problems met while finding out."""

    parties: tuple[Party, ...]
    problems: tuple[str, ...] = ()

    def find(self, digits: str) -> Party | None:
        return next((p for p in self.parties if p.identity.digits == digits), None)


def resolve(user: Identity, user_name: str, signatory_of: list[dict], permissions: list[dict]) -> Representation:
    """Build the party list from the registry's answers.

    ``signatory_of``: ``[{"orgnr": "<10 digits>", "namn": ...}]``; ``permissions``: the
    ``fullmaktsgivare`` entries of ``sok/behorigheter`` (already valid today). The
    user comes first, then companies they sign for, then grantors; a company that
    is both signed for and a grantor keeps the wider signatory basis. Entries with
    unusable identity numbers are skipped and reported.
    """
    problems: list[str] = []
    parties: dict[str, Party] = {user.digits: Party(user, user_name, OWN)}
    for row in sorted(signatory_of, key=lambda r: r.get("namn") or ""):
        try:
            company = parse_organisation(row.get("orgnr", ""))
        except InvalidIdentity:
            problems.append("signatory: an organisation number from the register is invalid")
            continue
        parties.setdefault(company.digits, Party(company, row.get("namn") or company.masked(), SIGNATORY))
    grants: dict[str, dict] = {}
    for entry in permissions:
        giver = entry.get("fullmaktsgivare", {})
        try:
            who = from_ombud(giver.get("id", ""), giver.get("typ", ""))
        except InvalidIdentity:
            problems.append("mandate: a grantor's identity number from the registry is invalid")
            continue
        slot = grants.setdefault(who.digits, {"identity": who, "name": giver.get("namn") or who.masked(), "grants": []})
        codes = tuple(sorted({b["kod"] for b in entry.get("behorigheter", []) if isinstance(b.get("kod"), str)}))
        if codes and isinstance(entry.get("tredjeman"), str):
            slot["grants"].append(Grant(entry["tredjeman"], codes))
    for digits, slot in sorted(grants.items(), key=lambda kv: kv[1]["name"]):
        if digits in parties or not slot["grants"]:
            continue
        parties[digits] = Party(slot["identity"], slot["name"], MANDATE, tuple(slot["grants"]))
    return Representation(tuple(parties.values()), tuple(problems))


def party_handle(secret: str, session_nonce: str, party: Party) -> str:
    """An opaque handle for a party, valid only within one login session."""
    mac = hmac.new(secret.encode(), f"{session_nonce}:{party.identity.digits}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:15]).decode().lower()


def find_by_handle(representation: Representation, handle: str, secret: str, session_nonce: str) -> Party | None:
    """The party this session's handle names, or None (stale, forged, or no longer allowed)."""
    if not isinstance(handle, str) or len(handle) != 24 or not handle.isascii():
        return None
    for party in representation.parties:
        if hmac.compare_digest(party_handle(secret, session_nonce, party), handle):
            return party
    return None
