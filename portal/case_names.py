"""What a case is called on a page: the name of its case type in the agency's catalog. Pure functions.

A case's first event usually says "Vi har tagit emot din ansökan om …", which
tells neither what the case is nor one case from another. The catalog's name of
the case type does ("Moms", "Bygglov"); without a catalog the first event's
headline stays the title. Two listed cases with one title are told apart by
their reference, else by the day they started.
"""

from __future__ import annotations

from portal.standard.eventtypes import case_type_ancestors


def type_name(case_type: str, names: dict[str, dict], locale: str) -> tuple[str, str] | None:
    """(name, its language) of the most specific catalogued level of ``case_type``; None when uncatalogued.

    The page's language when the catalog has it, else Swedish, else whatever it has.
    """
    for code in reversed(case_type_ancestors(case_type)):
        found = names.get(code)
        if not found:
            continue
        for lang in (locale, "sv", *found):
            if found.get(lang):
                return found[lang], lang
    return None


def case_type_of(event_type: str) -> str:
    """``SKV.MOMS.BESLUT`` -> ``SKV.MOMS``."""
    return event_type.rsplit(".", 1)[0]


def mark_twins(items) -> None:
    """Set ``twin`` on every item whose (agency, title) another item shares, so the page can tell them apart."""
    counts: dict[tuple[str, str], int] = {}
    for item in items:
        counts[(item.producer, item.title)] = counts.get((item.producer, item.title), 0) + 1
    for item in items:
        item.twin = counts[(item.producer, item.title)] > 1
