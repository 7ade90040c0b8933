"""Mina ombud rules: which mandates (fullmakter) count today, and what they grant.

Pure functions over the contract's ``Fullmakt`` objects, shared by the mock
registry (which answers ``sok/behorigheter``) and the portal (which decides
what a representative may see).
"""

from __future__ import annotations

import datetime as dt

from .eventtypes import matches_prefix

AKTIV = "aktiv"
PASSIV = "passiv"


def valid_on(fullmakt: dict, day: dt.date) -> bool:
    """Valid on ``day``: within giltigFrom..giltigTom (inclusive) and not revoked by then."""
    start = dt.date.fromisoformat(fullmakt["giltigFrom"])
    end = dt.date.fromisoformat(fullmakt["giltigTom"])
    revoked = fullmakt.get("aterkallad")
    if revoked and dt.date.fromisoformat(revoked) <= day:
        return False
    return start <= day <= end


def roll(typ: str) -> str:
    """PRIVAT for persons, ORGANISATION for organisations."""
    return "ORGANISATION" if typ == "orgnr" else "PRIVAT"


def find_permissions(fullmakter: list[dict], holder: dict, *, today: dt.date, giver: dict | None = None,
                     tredjeman: str | None = None, codes: list[str] | None = None) -> list[dict]:
    """Answer ``sok/behorigheter``: one entry per (grantor, third party) with its permissions.

    Only mandates valid ``today`` count. When several mandates grant the same
    code, ``aktiv`` beats ``passiv`` (and the entry names the mandate that gave it).
    ``codes``, when non-empty, keeps only those permission codes.
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
        if tredjeman and f["tredjeman"] != tredjeman:
            continue
        key = (g["typ"], g["id"], f["tredjeman"])
        entry = grouped.setdefault(key, {
            "fullmaktsgivare": {"id": g["id"], "typ": g["typ"], "roll": roll(g["typ"]), "namn": g.get("namn", "")},
            "fullmaktshavare": [dict(h) for h in f["fullmaktshavare"]],
            "tredjeman": f["tredjeman"],
            "_perms": {},
        })
        for b in f["behorigheter"]:
            if codes and b["kod"] not in codes:
                continue
            typ = AKTIV if AKTIV in b["typer"] else PASSIV
            current = entry["_perms"].get(b["kod"])
            if current is None or (current["typ"] == PASSIV and typ == AKTIV):
                entry["_perms"][b["kod"]] = {"kod": b["kod"], "typ": typ, "fullmakt": f["id"]}
    out = []
    for key in sorted(grouped):
        entry = grouped[key]
        perms = entry.pop("_perms")
        if not perms:
            continue
        entry["behorigheter"] = [perms[k] for k in sorted(perms)]
        out.append(entry)
    return out


def code_covers(code: str, event_type: str, catalog_codes: dict[str, list[str]] | None = None) -> bool:
    """True when permission ``code`` lets its holder see events of ``event_type``.

    Our convention: a code is a type prefix at a segment boundary; a catalog may
    map other codes to lists of prefixes.
    """
    if catalog_codes and code in catalog_codes:
        return any(matches_prefix(event_type, p) for p in catalog_codes[code])
    return matches_prefix(event_type, code)
