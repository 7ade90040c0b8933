"""Acting for others: whom a user may act for, and what each basis lets them see.

Pure decisions, no Flask and no I/O. A user may act for
- themself (basis ``own``): everything;
- each company they sign for (``signatory``): everything;
- each grantor of a mandate valid today in Mina ombud (``mandate``): only at the
  agencies the mandate names (tredjeman), only event types its permission codes
  cover. Codes are opaque: a per-agency mapping (config, the agency's catalog)
  turns them into event-type prefixes; a code nobody maps, or a permission type
  other than aktiv/passiv, grants nothing and is kept to be shown as "a mandate
  we cannot interpret".
Parties are referred to by opaque handles bound to one login session, so a
handle from another session, or a guessed one, matches nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from portal.standard.identity import Identity, InvalidIdentity, from_ombud, parse_organisation
from portal.standard.eventtypes import matches_prefix
from portal.standard.mandates import KNOWN_TYPES, code_prefixes, display_name

OWN = "own"
SIGNATORY = "signatory"
MANDATE = "mandate"


@dataclass(frozen=True)
class Grant:
    """What mandates give at one agency (``tredjeman``, 10-digit orgnr)."""

    tredjeman: str
    codes: tuple[str, ...]  # the permission codes granted
    prefixes: tuple[str, ...] = ()  # the event-type prefixes those codes cover, per the agency's mapping
    unmapped: tuple[str, ...] = ()  # codes (or types) we cannot interpret: they grant nothing
    mandates: tuple[str, ...] = ()  # the fullmakt ids the codes come from

    def to_json(self) -> dict:
        return {"tredjeman": self.tredjeman, "codes": list(self.codes), "prefixes": list(self.prefixes),
                "unmapped": list(self.unmapped), "mandates": list(self.mandates)}

    @classmethod
    def from_json(cls, obj: dict) -> "Grant":
        return cls(obj["tredjeman"], tuple(obj["codes"]), tuple(obj.get("prefixes", ())),
                   tuple(obj.get("unmapped", ())), tuple(obj.get("mandates", ())))


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

    def prefixes_at(self, producer_orgnr: str) -> tuple[str, ...] | None:
        """Event-type prefixes visible at an agency (() = everything); None when nothing there is in reach."""
        if self.full_access:
            return ()
        prefixes = tuple(sorted({p for g in self.grants if g.tredjeman == producer_orgnr for p in g.prefixes}))
        return prefixes or None

    def uninterpretable_at(self, producer_orgnr: str) -> tuple[str, ...]:
        """Codes granted at an agency that we cannot interpret (shown to the user, never silently dropped)."""
        return tuple(sorted({c for g in self.grants if g.tredjeman == producer_orgnr for c in g.unmapped}))

    def may_see_producer(self, producer_orgnr: str) -> bool:
        return self.prefixes_at(producer_orgnr) is not None

    def may_see(self, producer_orgnr: str, event_type: str) -> bool:
        """True when an event of ``event_type`` from that agency falls under what was granted."""
        prefixes = self.prefixes_at(producer_orgnr)
        if prefixes is None:
            return False
        return self.full_access or any(matches_prefix(event_type, p) for p in prefixes)

    def may_see_case(self, producer_orgnr: str, event_types) -> bool:
        """THE visibility rule for a case, on every page (overview, case, situations, calendar, catalog):
        a case is shown only when every one of its events' types is one this basis may see. A case that is
        partly outside a mandate is hidden whole, never shown cut down (its link would lead nowhere)."""
        types = list(event_types)
        return bool(types) and all(self.may_see(producer_orgnr, t) for t in types)

    def scope(self, producer_orgnr: str) -> str:
        """A stable label of what this basis may fetch at an agency (keys incremental-sync state)."""
        prefixes = self.prefixes_at(producer_orgnr)
        return "*" if prefixes == () else ",".join(prefixes or ())

    def to_json(self) -> dict:
        return {"digits": self.identity.digits, "kind": self.identity.kind, "name": self.name, "basis": self.basis,
                "grants": [g.to_json() for g in self.grants]}

    @classmethod
    def from_json(cls, obj: dict) -> "Party":
        return cls(Identity(obj["digits"], obj["kind"]), obj["name"], obj["basis"],
                   tuple(Grant.from_json(g) for g in obj["grants"]))


@dataclass(frozen=True)
class Representation:
    """Every party a user may act for now, plus problems met while finding out."""

    parties: tuple[Party, ...]
    problems: tuple[str, ...] = ()

    def find(self, digits: str) -> Party | None:
        return next((p for p in self.parties if p.identity.digits == digits), None)


# Problems met while finding out whom a user may act for (shown on the page, never cached).
SIGNATORY_FAILED = "signatory"  # the signatory source gave no usable answer
REGISTRY_FAILED = "registry"  # Mina ombud gave no usable answer at all
REGISTRY_AGENCY_FAILED = "registry:"  # + tredjeman: the search for one agency failed
INVALID_SIGNATORY = "invalid_signatory"  # an organisation number from the signatory source is unusable
INVALID_GRANTOR = "invalid_grantor"  # a grantor's identity from the registry is unusable


def grant_for(tredjeman: str, permissions: list[dict], mapping: dict[str, list[str]] | None) -> Grant:
    """One agency's permissions (``UtdeladBehorighet`` objects) read through that agency's code mapping."""
    codes, prefixes, unmapped, mandates = set(), set(), set(), set()
    for b in permissions:
        codes.add(b["kod"])
        mandates.add(b["fullmakt"])
        covered = code_prefixes(b["kod"], mapping) if b.get("typ") in KNOWN_TYPES else None
        if covered:
            prefixes.update(covered)
        else:
            unmapped.add(b["kod"])
    return Grant(tredjeman, tuple(sorted(codes)), tuple(sorted(prefixes)), tuple(sorted(unmapped)),
                 tuple(sorted(mandates)))


def resolve(user: Identity, user_name: str, signatory_of: list[dict], permissions: list[dict],
            mappings: dict[str, dict[str, list[str]]] | None = None) -> Representation:
    """Build the party list from the signatory source's and the registry's answers.

    ``signatory_of``: ``[{"orgnr": "<10 digits>", "namn": ...}]``; ``permissions``: the
    ``fullmaktsgivare`` entries of ``sok/behorigheter`` (already valid today);
    ``mappings``: per agency (tredjeman), permission code -> event-type prefixes. The
    user comes first, then companies they sign for, then grantors by name; a company that
    is both signed for and a grantor keeps the wider signatory basis. A grantor whose codes
    we cannot interpret is still listed (with nothing to see), so the user is told. Entries
    with unusable identity numbers are skipped and reported.
    """
    mappings = mappings or {}
    problems: list[str] = []
    parties: dict[str, Party] = {user.digits: Party(user, user_name, OWN)}
    for row in sorted(signatory_of, key=lambda r: r.get("namn") or ""):
        try:
            company = parse_organisation(row.get("orgnr", ""))
        except InvalidIdentity:
            problems.append(INVALID_SIGNATORY)
            continue
        parties.setdefault(company.digits, Party(company, row.get("namn") or company.masked(), SIGNATORY))
    grants: dict[str, dict] = {}
    for entry in permissions:
        giver = entry.get("fullmaktsgivare", {})
        try:
            who = from_ombud(giver.get("id", ""), giver.get("typ", ""))
        except InvalidIdentity:
            problems.append(INVALID_GRANTOR)
            continue
        slot = grants.setdefault(who.digits, {"identity": who, "name": display_name(giver) or who.masked(),
                                              "grants": []})
        behorigheter = [b for b in entry.get("behorigheter", []) if isinstance(b.get("kod"), str)]
        if behorigheter and isinstance(entry.get("tredjeman"), str):
            slot["grants"].append(grant_for(entry["tredjeman"], behorigheter, mappings.get(entry["tredjeman"])))
    for digits, slot in sorted(grants.items(), key=lambda kv: kv[1]["name"].casefold()):
        if digits in parties or not slot["grants"]:
            continue
        parties[digits] = Party(slot["identity"], slot["name"], MANDATE, tuple(slot["grants"]))
    return Representation(tuple(parties.values()), tuple(dict.fromkeys(problems)))


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
