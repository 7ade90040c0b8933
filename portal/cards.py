"""The overview's case cards, each drawn once for everything it shows, then kept (issue 16).

A card is a function of its case summary (every field of :class:`portal.case.CaseSummary`), the language and time
zone, the words of "how long ago" its latest event was (babel's unit and number, ``i18n.ago_key``), the days left to
its deadline, and the path the portal is mounted at. Nothing else goes in: no user, no session, no request state.
So a card kept under those values is the card Jinja would draw again, for whoever is shown that case summary (the
summary itself carries the case's handle, which differs per user and party).

A warm overview draws the same twenty-odd cards on every load, and drawing them (a link, two dates, a badge and a
few words each, through Jinja's macro and call machinery) was the largest share of its render. The cards are kept
per process in the kept fragments' bounded table (``fragments.keep``), under keys of their own.
"""

from __future__ import annotations

import dataclasses
import operator

from flask import current_app, request
from markupsafe import Markup

from portal import fragments, i18n
from portal.case import CaseSummary
from portal.standard import clock

# Every field of a case summary, read in C: a field added to CaseSummary is in the key without anyone remembering.
_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(CaseSummary)))
_MARK = "<!--card-->"


def case_list(cases: list[CaseSummary]) -> Markup:
    """The ``<ul>`` of case cards for ``cases``: each card from the table, or drawn (all missing ones in one call of
    the ``case_cards`` macro) and kept."""
    _locale, _zone, names = i18n.locale_and_zone()
    now, today, root = clock.now(), clock.today(), request.script_root
    cards: list[Markup | None] = []
    missing: list[tuple[int, tuple | None, CaseSummary]] = []
    for case in cases:
        latest = case.latest.tidpunkt
        key = ("card", names, root, _FIELDS(case),
               i18n.ago_key((latest - now).total_seconds()) if latest is not None else None,
               (case.deadline - today).days if case.deadline else None)
        try:
            card = fragments.kept(key)
        except TypeError:  # a field that cannot be a key (a list, say): drawn every time, never kept
            card, key = None, None
        if card is None:
            missing.append((len(cards), key, case))
        cards.append(card)
    if missing:
        draw = current_app.jinja_env.get_template("components/case.html").module.case_cards
        drawn = str(draw([case for _, _, case in missing])).split(_MARK)[1:]
        if len(drawn) != len(missing):  # a marker inside a card: the template changed; never a wrong card
            raise RuntimeError(f"case_cards drew {len(drawn)} cards for {len(missing)} cases")
        for (at, key, _case), html in zip(missing, drawn):
            cards[at] = Markup(html.strip())
            if key is not None:
                fragments.keep(key, cards[at])
    return Markup('<ul class="case-list">\n  ' + "\n  ".join(cards) + "\n</ul>")
