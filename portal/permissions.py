"""Per-agency meaning of Mina ombud's opaque permission codes: config first, then the agency's catalog.

A code is only ever interpreted through a mapping to event-type prefixes; a code
neither the config (``[permissions.<slug>]``) nor the agency's catalog
(``behorighetskoder``) names stays uninterpretable.
"""

from __future__ import annotations

from portal.config import Config


def mappings_for(cfg: Config, entries: list[dict], catalogs=None) -> dict[str, dict[str, list[str]]]:
    """Per tredjeman of ``entries`` (sok/behorigheter answers): code -> prefixes.

    ``catalogs`` is called (with no arguments) only when some granted code is not in the config;
    it returns every agency's catalog document by slug (None: publishes none).
    """
    producers = {p.orgnr: p for p in cfg.producers}
    out: dict[str, dict[str, list[str]]] = {}
    missing: set[str] = set()
    for entry in entries:
        producer = producers.get(entry.get("tredjeman"))
        if producer is None:
            continue
        mapping = out.setdefault(producer.orgnr, {k: list(v) for k, v in cfg.permissions.get(producer.slug, {}).items()})
        if any(b.get("kod") not in mapping for b in entry.get("behorigheter", [])):
            missing.add(producer.orgnr)
    if missing and catalogs is not None:
        docs = catalogs()
        for orgnr in missing:
            for code in (docs.get(producers[orgnr].slug) or {}).get("behorighetskoder", []):
                out[orgnr].setdefault(code["kod"], list(code["prefix"]))
    return out
