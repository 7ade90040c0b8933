"""Defence in depth at the producer: may ``anvandare`` see this customer's events?

A person sees their own events (and their sole-trader firms'); a signatory sees
the company's; anyone else needs a mandate valid today for this producer
(tredjeman), and then sees only types their permission codes cover: as the
producer's catalog maps them, or, for a code its catalog does not list, by the
demo world's convention (the code is a type prefix). A producer knows its own codes;
only a consumer must treat an unknown code as uninterpretable.
"""

from __future__ import annotations

import datetime as dt

from portal.standard.identity import InvalidIdentity, parse_kund
from portal.standard.eventtypes import matches_prefix
from portal.standard.mandates import code_covers, find_permissions
from portal.standard.models import Event, Kund

ALL = "ALL"


def allowed_codes(anvandare: str, kund: Kund, *, tredjeman: str, registry: dict, today: dt.date):
    """``ALL``, a list of permission codes, or None when nothing may be seen."""
    if kund.identifierare == anvandare and kund.typ != "Organisationsnummer":
        return ALL
    try:
        giver_id, giver_typ = parse_kund(kund.identifierare, kund.typ).ombud_id()
    except InvalidIdentity:
        return None
    if giver_typ == "orgnr" and any(
        s["orgnr"] == giver_id and s["pnr"] == anvandare for s in registry.get("firmatecknare", [])
    ):
        return ALL
    entries = find_permissions(registry.get("fullmakter", []), {"id": anvandare, "typ": "pnr"}, today=today,
                               giver={"id": giver_id, "typ": giver_typ}, tredjeman=tredjeman)
    codes = sorted({b["kod"] for e in entries for b in e["behorigheter"]})
    return codes or None


def visible(event: Event, codes, catalog_codes: dict[str, list[str]]) -> bool:
    """True when ``codes`` (from allowed_codes) cover this event, as the producer's catalog maps them."""
    if codes == ALL:
        return True
    return any(code_covers(c, event.typ, catalog_codes) if c in catalog_codes else matches_prefix(event.typ, c)
               for c in codes)
