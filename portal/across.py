""""Alla jag företräder": what is the turn of every party the user may act for, in one list, by deadline.

Read from the cache only (each party's stored case rows, the cached catalogs): the page never asks an agency and
never waits, however many customers an accountant has. What it lists is what the agencies last told us, and it
says how old that is per customer; "Fetch news" (a plain form) asks the agencies again for the few customers
asked longest ago, in the background (``across_refresh``), and the page shows their answers as they come (htmx
polls while the fetch runs; without JavaScript, a reload). Opening a customer (the switch) asks them again, as
the overview always does. Every party with a row shown gets an audit row: listing a customer's cases is a look
at them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import across_refresh, audit
from portal.acting import handle_for, lookup_notices, representation
from portal.case_names import case_type_of, type_name
from portal.caselist import gate_for
from portal.cases import is_htmx_swap
from portal.catalog import case_type_names
from portal.config import Config
from portal.party_counts import describe, party_counts
from portal.representation import Party
from portal.runtime import config, correlation_id, runtime, store, store_factory
from portal.standard.ballholder import BallHolder
from portal.store import CaseQuery, Store, now
from portal.sync import refresh, visible_producers

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


@bp.app_template_global("counts_text")
def counts_text(counts) -> str:
    """A party's counts in words for the switcher and the lists ("2 väntar på dig, 1 ny")."""
    return describe(counts)


@bp.route("/alla")
@login_required
def everyone():
    rep = representation()
    st = store()
    cfg = config()
    names = case_type_names({slug: doc for slug, (_at, doc) in st.catalogs().items()})
    rows = waiting_everywhere(st, cfg, rep.parties, names, str(get_locale() or "sv"))
    poll = is_htmx_swap()
    for party in {id(r.party): r.party for r in rows}.values():
        # A poll while news is fetched is the same look: only a party newly listed is written down again.
        if not poll or st.last_audit_action(current_user.handle, party.identity.digits) != "across":
            audit.record(party, "across")
    counts = party_counts(st.db, rep.parties, current_user.handle, current_app.secret_key, cfg.producers)
    ages = across_refresh.read_ages(st.db, rep.parties, cfg.producers)
    moment = now()
    fetching = set(across_refresh.running(current_user.handle))
    parties = [{"handle": handle_for(p), "party": p, "counts": counts.get(p.identity.digits),
                "age": ages[p.identity.digits], "fetching": p.identity.digits in fetching,
                "stale": across_refresh.is_stale(ages[p.identity.digits], moment, cfg.settings.fresh_s)}
               for p in rep.parties]
    context = {"rows": rows, "parties": parties, "fetching": len(fetching), "lookup_notices": lookup_notices(rep),
               "stale": sum(1 for p in parties if p["stale"]), "batch": across_refresh.BATCH}
    if poll:
        return render_template("partials/across_content.html", **context)
    return render_template("pages/across.html", **context)


@bp.route("/alla/hamta", methods=["POST"])
@login_required
def fetch_news():
    """Ask the agencies again for the customers asked longest ago, in the background; back to the list at once."""
    rep = representation()
    cfg = config()
    ages = across_refresh.read_ages(store().db, rep.parties, cfg.producers)
    chosen = across_refresh.stalest(rep.parties, ages, now(), cfg.settings.fresh_s)
    if across_refresh.running(current_user.handle):
        flash(_("We are still fetching news for some of them. The list shows their answers as they come."), "info")
    elif not chosen:
        flash(_("Everything was fetched from the agencies within the last minutes; there is nothing older to fetch."),
              "info")
    else:  # the list says what is being fetched, and for whom, while it runs
        across_refresh.start(current_user.handle, chosen, _fetcher(cfg))
    return redirect(url_for("across.everyone"), 303)


def _fetcher(cfg: Config):
    """Ask one party's agencies as its overview would, from a background thread (no request there)."""
    clients, opened = runtime().producers, store_factory()
    anvandare, cid, language = current_user.identity.digits, correlation_id(), str(get_locale() or "sv")

    def fetch_one(party: Party) -> None:
        own = opened()
        try:
            refresh(own, cfg, clients, party, anvandare, cid, language=language)
        finally:
            own.close()
    return fetch_one
