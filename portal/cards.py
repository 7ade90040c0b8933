"""The overview's case cards, each drawn once for everything it shows, then kept (issue 16).

A card is a function of its case summary (every field of :class:`portal.case.CaseSummary`), the language and time
zone, the words of "how long ago" its latest event was (babel's unit and number, ``i18n.ago_key``), the days left to
its deadline, and the path the portal is mounted at. Nothing else goes in: no user, no session, no request state.
So a card kept under those values is the card Jinja would draw again, for whoever is shown that case summary (the
summary itself carries the case's handle, which differs per user and party).

A warm overview draws the same twenty-odd cards on every load, and drawing them (a link, two dates, a badge and a
few words each, through Jinja's macro and call machinery) was the largest share of its render. The cards are kept
per process in a bounded table, let go all at once when full, as ``i18n``'s formatted dates are.
"""

from __future__ import annotations

import dataclasses
import operator

from flask import current_app, request
from markupsafe import Markup

from portal import i18n
from portal.case import CaseSummary
from portal.standard import clock

# Every field of a case summary, read in C: a field added to CaseSummary is in the key without anyone remembering.
_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(CaseSummary)))
_MAX = 5000  # cards kept per process
_kept: dict[tuple, Markup] = {}


def case_list(cases: list[CaseSummary]) -> Markup:
    """The ``<ul>`` of case cards for ``cases``, each card from the table or drawn by the ``case_card`` macro."""
    _locale, _zone, names = i18n.locale_and_zone()
    now, today, root = clock.now(), clock.today(), request.script_root
    draw = None
    parts = ['<ul class="case-list">']
    for case in cases:
        latest = case.latest.tidpunkt
        key = (names, root, _FIELDS(case),
               i18n.ago_key((latest - now).total_seconds()) if latest is not None else None,
               (case.deadline - today).days if case.deadline else None)
        card = _kept.get(key)
        if card is None:
            if draw is None:
                draw = current_app.jinja_env.get_template("components/case.html").module.case_card
            card = Markup(draw(case))
            if len(_kept) >= _MAX:
                _kept.clear()
            _kept[key] = card
        parts.append(card)
    parts.append("</ul>")
    return Markup("\n  ".join(parts[:-1]) + "\n" + parts[-1])


def forget() -> None:
    """Let every kept card go (tests)."""
    _kept.clear()
