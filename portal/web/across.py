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
from portal.acting import lookup_notices, representation
from portal.case_names import case_type_of, type_name
from portal.catalog import case_type_names
from portal.config import Config
from portal.party_counts import CaseFact, describe, party_counts, read_case_facts, visible_facts
from portal.representation import Party, party_handles
from portal.runtime import config, correlation_id, runtime, store, store_factory
from portal.standard.ballholder import BallHolder
from portal.standard.clock import now
from portal.store import Store
from portal.sync import refresh
from portal.web.pages import is_htmx_swap

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


def waiting_everywhere(st: Store, cfg: Config, parties, names: dict, locale: str,
                       facts: list[CaseFact] | None = None) -> list[TurnRow]:
    """Every stored case whose ball is with one of ``parties`` (as each one's basis may see it), earliest deadline
    first (none last), then by customer.

    One read of every party's case rows (``facts``, read here when not given) finds the waiting cases; only
    those are read in full.
    """
    agency = {p.slug: p.name for p in cfg.producers}
    orgnr = {p.slug: p.orgnr for p in cfg.producers}
    if facts is None:
        facts = read_case_facts(st, [p.identity.digits for p in parties])
    by_party: dict[str, list[CaseFact]] = {}
    for f in facts:
        if f.ball == BallHolder.CUSTOMER.value:
            by_party.setdefault(f.party, []).append(f)
    rows: list[TurnRow] = []
    for party in parties:
        waiting = visible_facts(party, by_party.get(party.identity.digits, []), orgnr)
        if not waiting:
            continue
        for row in st.case_rows_for(party.identity.digits, [(f.producer, f.case_key) for f in waiting]).values():
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
    facts = read_case_facts(st, [p.identity.digits for p in rep.parties])
    rows = waiting_everywhere(st, cfg, rep.parties, names, str(get_locale() or "sv"), facts)
    poll = is_htmx_swap()
    for party in {id(r.party): r.party for r in rows}.values():
        # A poll while news is fetched is the same look: only a party newly listed is written down again.
        if not poll or st.last_audit_action(current_user.handle, party.identity.digits) != "across":
            audit.record(party, "across")
    counts = party_counts(st, rep.parties, current_user.handle, current_app.secret_key, cfg.producers, facts)
    ages = across_refresh.read_ages(st, rep.parties, cfg.producers)
    moment = now()
    fetching = set(across_refresh.running(current_user.handle))
    handles = party_handles(current_app.secret_key, current_user.nonce, rep.parties)  # one key for all (as handle_for)
    parties = [{"handle": handle, "party": p, "counts": counts.get(p.identity.digits),
                "age": ages[p.identity.digits], "fetching": p.identity.digits in fetching,
                "stale": across_refresh.is_stale(ages[p.identity.digits], moment, cfg.settings.fresh_s)}
               for p, handle in zip(rep.parties, handles)]
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
    ages = across_refresh.read_ages(store(), rep.parties, cfg.producers)
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
