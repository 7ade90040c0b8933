""""Alla jag företräder": what is the turn of every party the user may act for, in one list, by deadline.

Read from the cache only (each party's stored case rows, the cached catalogs): the page never asks an agency and
never waits, however many customers an accountant has. What it lists is what the agencies last told us; opening
a customer (the switch) asks them again, as the overview always does. Every party with a row shown gets an
audit row: listing a customer's cases is a look at them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import login_required

from portal import audit
from portal.acting import handle_for, lookup_notices, representation
from portal.case_names import case_type_of, type_name
from portal.caselist import gate_for
from portal.catalog import case_type_names
from portal.config import Config
from portal.representation import Party
from portal.runtime import config, store
from portal.standard.ballholder import BallHolder
from portal.store import CaseQuery, Store
from portal.sync import visible_producers

bp = Blueprint("across", __name__)


@dataclass
class TurnRow:
    """One case waiting for one of the user's customers."""

    party: Party
    producer_name: str
    title: str
    title_lang: str
    deadline: dt.date | None
    reference: str | None


def waiting_everywhere(st: Store, cfg: Config, parties, names: dict, locale: str) -> list[TurnRow]:
    """Every stored case whose ball is with one of ``parties`` (as each one's basis may see it), earliest deadline
    first (none last), then by customer."""
    agency = {p.slug: p.name for p in cfg.producers}
    rows: list[TurnRow] = []
    for party in parties:
        visible = tuple(p.slug for p in visible_producers(cfg, party))
        if not visible:
            continue
        query = CaseQuery(producers=visible, gate=gate_for(party, cfg), ball=BallHolder.CUSTOMER.value)
        keys = [(c[0], c[1]) for c in st.case_index(party.identity.digits, query)]
        for row in st.case_rows_for(party.identity.digits, keys).values():
            found = type_name(case_type_of(row.latest_typ), names, locale)
            title, lang = found if found else (row.first_rubrik, row.first_sprak)
            rows.append(TurnRow(party, agency.get(row.producer, row.producer), title, lang, row.deadline,
                                row.reference))
    return sorted(rows, key=lambda r: (r.deadline is None, r.deadline or dt.date.max, r.party.name, r.title))


@bp.route("/alla")
@login_required
def everyone():
    rep = representation()
    st = store()
    names = case_type_names({slug: doc for slug, (_at, doc) in st.catalogs().items()})
    rows = waiting_everywhere(st, config(), rep.parties, names, str(get_locale() or "sv"))
    for party in {id(r.party): r.party for r in rows}.values():
        audit.record(party, "across")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.party.identity.digits] = counts.get(r.party.identity.digits, 0) + 1
    parties = [(handle_for(p), p, counts.get(p.identity.digits, 0)) for p in rep.parties]
    return render_template("pages/across.html", rows=rows, parties=parties, handle_for=handle_for,
                           lookup_notices=lookup_notices(rep))
