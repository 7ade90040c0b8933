"""Mina ombud rules: which mandates (fullmakter) count today, and what they grant.

Pure functions over the contract's ``Fullmakt`` objects (Bolagsverket's
``dfm_konsument_v1``), shared by the mock registry (which answers
``sok/behorigheter``), the mock agencies' access check and the portal.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

from .eventtypes import matches_prefix

AKTIV = "aktiv"
PASSIV = "passiv"
KNOWN_TYPES = (AKTIV, PASSIV)
_RANK = {AKTIV: 2, PASSIV: 1}


def valid_on(fullmakt: dict, day: dt.date) -> bool:
    """Valid on ``day``: within giltigFrom..giltigTom (inclusive; no giltigTom = open-ended), not revoked by then.

    ``aterkallad`` (a date) is our registry file's way to say a mandate was revoked.
    """
    start = dt.date.fromisoformat(fullmakt["giltigFrom"])
    end = fullmakt.get("giltigTom")
    revoked = fullmakt.get("aterkallad")
    if revoked and dt.date.fromisoformat(revoked) <= day:
        return False
    return start <= day and (not end or day <= dt.date.fromisoformat(end))


def roll(typ: str) -> str:
    """PRIVAT for persons, ORGANISATION for organisations."""
    return "ORGANISATION" if typ == "orgnr" else "PRIVAT"


def display_name(who: dict) -> str:
    """A person's ``fornamn`` + ``namn``; an organisation's ``namn``."""
    return " ".join(p for p in (who.get("fornamn"), who.get("namn")) if isinstance(p, str) and p.strip()).strip()


def selected_typ(objekt: dict) -> str | None:
    """The permission type chosen for a behörighetsobjekt (its ``vald`` entry), or None."""
    return next((t["typ"] for t in objekt.get("typer", []) if t.get("vald")), None)


def tredjeman_id(fullmakt: dict) -> str:
    return fullmakt["tredjeman"]["id"]


def find_permissions(fullmakter: list[dict], holder: dict, *, today: dt.date, giver: dict | None = None,
                     tredjeman: str | None = None, codes: list[str] | None = None) -> list[dict]:
    """Answer ``sok/behorigheter``: one entry per (grantor, third party) with its permissions, sorted by name.

    Only mandates valid ``today`` count. When several mandates grant the same
    code, ``aktiv`` beats ``passiv``, then the latest ``giltigFrom`` wins (the
    entry names the mandate that gave it). ``codes``, when non-empty, keeps only
    those permission codes. Entries carry no ``_sig``; the registry adds it.
    """
    grouped: dict[tuple, dict] = {}
    for f in fullmakter:
        if not valid_on(f, today):
            continue
        if not any(h["id"] == holder["id"] and h["typ"] == holder["typ"] for h in f["fullmaktshavare"]):
            continue
        g = f["fullmaktsgivare"]
        if giver and (g["id"], g["typ"]) != (giver["id"], giver["typ"]):
            continue
        if tredjeman and tredjeman_id(f) != tredjeman:
            continue
        key = (g["typ"], g["id"], tredjeman_id(f))
        giver_out = {"id": g["id"], "typ": g["typ"], "roll": g.get("roll") or roll(g["typ"])}
        giver_out.update({k: g[k] for k in ("fornamn", "namn") if g.get(k)})
        entry = grouped.setdefault(key, {
            "fullmaktsgivare": giver_out,
            "fullmaktshavare": [{"id": h["id"], "typ": h["typ"]} for h in f["fullmaktshavare"]],
            "tredjeman": tredjeman_id(f),
            "_perms": {},
        })
        for b in f["behorigheter"]:
            objekt = b["behorighetsobjekt"]
            if codes and objekt["kod"] not in codes:
                continue
            typ = selected_typ(objekt)
            if typ is None:
                continue
            candidate = (_RANK.get(typ, 0), f["giltigFrom"], {"kod": objekt["kod"], "typ": typ, "fullmakt": f["id"]})
            current = entry["_perms"].get(objekt["kod"])
            if current is None or candidate[:2] > current[:2]:
                entry["_perms"][objekt["kod"]] = candidate
    out = []
    for key, entry in grouped.items():
        perms = entry.pop("_perms")
        if not perms:
            continue
        entry["behorigheter"] = [perms[k][2] for k in sorted(perms)]
        out.append(entry)
    out.sort(key=lambda e: (display_name(e["fullmaktsgivare"]).casefold(), e["fullmaktsgivare"]["id"], e["tredjeman"]))
    return out


def find_mandate(fullmakter: list[dict], tredjeman: str, fullmakt_id: str) -> dict | None:
    """The mandate ``fullmakt_id`` given for third party ``tredjeman`` (any validity), or None."""
    return next((f for f in fullmakter if f["id"] == fullmakt_id and tredjeman_id(f) == tredjeman), None)


def signature(entry: dict, key: str) -> dict:
    """A stand-in for the registry's JWS over an entry: ``{"protected", "signature"}`` (HMAC-SHA256, base64url)."""
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    protected = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"mock-minaombud"}').decode().rstrip("=")
    mac = hmac.new(key.encode(), protected.encode() + b"." + hashlib.sha256(canonical).digest(), hashlib.sha256)
    return {"protected": protected, "signature": base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")}


def code_prefixes(code: str, mapping: dict[str, list[str]] | None) -> tuple[str, ...] | None:
    """The event-type prefixes permission ``code`` covers, or None when ``mapping`` does not say (uninterpretable).

    Codes are opaque: only a mapping (the consumer's config, or the agency's catalog) gives them meaning.
    """
    if mapping and code in mapping:
        return tuple(mapping[code])
    return None


def code_covers(code: str, event_type: str, mapping: dict[str, list[str]] | None) -> bool:
    """True when permission ``code`` lets its holder see events of ``event_type`` (per ``mapping``)."""
    prefixes = code_prefixes(code, mapping)
    return bool(prefixes) and any(matches_prefix(event_type, p) for p in prefixes)
