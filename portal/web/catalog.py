"""The catalog page: every agency's case and event types, searchable; without a catalog, the types we have seen."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from portal.acting import acting_party
from portal.catalog import build, catalogs, matches
from portal.party_counts import read_case_facts, visible_facts
from portal.runtime import config, store
from portal.sync import visible_producers

bp = Blueprint("catalog", __name__)


def seen_types() -> dict[str, list[str]]:
    """Type codes of the acting party's visible cases, by producer (for producers without a catalog).

    Only cases this basis may see whole count (``case.visible``, as on every page): a type met only in a case
    partly outside a mandate is not listed.
    """
    party = acting_party()
    orgnr = {p.slug: p.orgnr for p in visible_producers(config(), party)}
    out: dict[str, set[str]] = {}
    # From the case rows (each keeps its events' types), not every event parsed: the same at any history size.
    for fact in visible_facts(party, read_case_facts(store(), [party.identity.digits]), orgnr):
        out.setdefault(fact.producer, set()).update(fact.types)
    return {slug: sorted(types) for slug, types in out.items()}


@bp.route("/katalog")
@login_required
def page():
    needle = " ".join(request.args.get("q", "").split())[:100]
    docs = catalogs()
    producers = []
    seen = seen_types()
    for p in config().producers:
        pc = build(p.slug, p.name, docs.get(p.slug))
        pc.answered = p.slug in docs
        pc.seen_types = [] if pc.available else [t for t in seen.get(p.slug, []) if needle.casefold() in t.casefold()]
        producers.append(pc)
    if needle:
        for pc in producers:
            pc.case_types = [n for n in pc.case_types if matches(n, needle.casefold())]
    return render_template("pages/catalog.html", producers=producers, q=needle,
                           missing=[p.name for p in config().producers if p.slug not in docs])
