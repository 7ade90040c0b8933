"""The case concept (portal.case): one visibility rule on every path, the handle, the unread rule."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import ORGNR12, make_event
from portal_builders import mandate_party, signatory_party, sync_config

from portal import caselist
from portal.case import Case, arrived_after, gate_for, party_handle_key, visible
from portal.filters import Filters
from portal.party_counts import party_counts, read_case_facts, visible_facts
from portal.standard.clock import today
from portal.standard.models import Arende, Kund
from portal.store import Store, connect, ensure_schema
from portal.sync import visible_events

FIRM = Kund(ORGNR12, "Organisationsnummer")
MIXED, MOMS = "Diarienummer:SKV-1", "Diarienummer:SKV-2"  # the cases' keys (Event.case_key)


@pytest.fixture()
def store(database):
    s = Store(connect(database))
    ensure_schema(s.db)
    yield s
    s.close()


def _event(id_, typ, arende, day, *, deadline: dt.date | None = None):
    return make_event(id_, kund=FIRM, arende=Arende(arende, "Diarienummer"), typ=typ, rubrik=f"{typ} {id_}",
                      tidpunkt=f"2026-09-{day:02d}T10:00:00+02:00", kraver=deadline is not None,
                      utokad={"senastDatum": deadline.isoformat()} if deadline else None)


@pytest.fixture()
def mixed_world(store):
    """Skatteverket holds a case with a MOMS and an INKOMST event (waiting for the customer, with a last day)
    and a MOMS-only case (waiting too). The mandate covers SKV.MOMS only."""
    last_day = today() + dt.timedelta(days=10)
    store.upsert_events(ORGNR12, "skatteverket", [
        _event("m1", "SKV.MOMS.BESLUT", "SKV-1", 1),
        _event("i1", "SKV.INKOMSTDEKLARATION.KOMPLETTERING_BEGARD", "SKV-1", 2, deadline=last_day),
        _event("m2", "SKV.MOMS.KOMPLETTERING_BEGARD", "SKV-2", 3, deadline=last_day),
    ])
    return store


def test_a_case_partly_outside_the_mandate_is_hidden_whole_on_every_path(mixed_world):
    """Mandate SKV.MOMS only; a case with a MOMS and an INKOMST event is hidden whole, on every page's path,
    never shown cut down (its own link would refuse it). The company itself (its signatory) sees both."""
    store, cfg = mixed_world, sync_config()
    narrow, whole = mandate_party(), signatory_party()
    orgnr = {p.slug: p.orgnr for p in cfg.producers}
    slugs = [p.slug for p in cfg.producers]

    # The rule itself (the case page asks it of the case's events).
    assert not visible(narrow, orgnr, "skatteverket", ["SKV.MOMS.BESLUT", "SKV.INKOMSTDEKLARATION.BESLUT"])
    assert visible(narrow, orgnr, "skatteverket", ["SKV.MOMS.KOMPLETTERING_BEGARD"])
    assert not visible(narrow, orgnr, "skatteverket", [])
    assert not visible(narrow, orgnr, "unknown-agency", ["SKV.MOMS.BESLUT"])
    assert visible(whole, orgnr, "skatteverket", ["SKV.MOMS.BESLUT", "SKV.INKOMSTDEKLARATION.BESLUT"])

    # The overview (pages of case rows through the store's gate).
    page = caselist.overview_page(store, cfg, narrow, Filters(), slugs, handle_key="k", user_handle="u")
    assert page.total == 1 and [c.key for c in page.your_turn.cases] == [MOMS]
    page = caselist.overview_page(store, cfg, whole, Filters(), slugs, handle_key="k", user_handle="u")
    assert page.total == 2

    # The calendar feed (deadline cases from the case rows).
    assert [c.key for c in caselist.deadline_cases(store, cfg, narrow, slugs, handle_key="k")] == [MOMS]
    assert len(caselist.deadline_cases(store, cfg, whole, slugs, handle_key="k")) == 2

    # Situations: whole cases from their events, and a situation page's few cases through the case index.
    assert sorted(s.event.kundhandelse_id for s in visible_events(store, cfg, narrow)) == ["m2"]
    assert sorted(s.event.kundhandelse_id for s in visible_events(store, cfg, whole)) == ["i1", "m1", "m2"]
    from portal.store import CaseQuery
    indexed = store.case_index(ORGNR12, CaseQuery(producers=tuple(slugs), gate=gate_for(narrow, cfg.producers),
                                                  prefixes=("SKV",)))
    assert [c[1] for c in indexed] == [MOMS]

    # The catalog's types seen (for an agency without a catalog) and the switcher's counts.
    facts = visible_facts(narrow, read_case_facts(store, [ORGNR12]), orgnr)
    assert {t for f in facts for t in f.types} == {"SKV.MOMS.KOMPLETTERING_BEGARD"}
    counts = party_counts(store, [narrow], "u", "secret", cfg.producers)
    assert counts[ORGNR12].waiting == 1
    assert party_counts(store, [whole], "u", "secret", cfg.producers)[ORGNR12].waiting == 2


def test_a_case_never_prints_its_handle_key():
    key = party_handle_key("the-app-secret-" * 3, "196601013458")
    assert "the-app-secret" not in key and "196601013458" not in key
    case = Case("skatteverket", "Skatteverket", "SKV-1", handle_key=key)
    assert key not in repr(case) and "handle_key" not in repr(case)
    assert len(case.handle) == 20 and case.handle == Case("skatteverket", "S", "SKV-1", handle_key=key).handle


def test_new_means_arrived_after_the_last_look():
    look = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
    assert arrived_after(look + dt.timedelta(seconds=1), look)
    assert not arrived_after(look, look)
    assert not arrived_after(None, look)  # we never had it
    assert not arrived_after(look, None)  # nothing of the case counts as new yet


def _newest_first(n: int):
    return [_event(f"e{i}", "SKV.MOMS.BESLUT", "SKV-9", 28 - i // 24) for i in range(n)]


def test_a_long_case_shows_its_latest_events_and_more_only_where_a_new_one_is_further_down():
    from portal.case import FIRST_EVENTS, events_first_shown

    assert FIRST_EVENTS == 50
    assert events_first_shown(_newest_first(12), set()) == 12  # a short case: all of it
    events = _newest_first(178)
    assert events_first_shown(events, set()) == 50
    assert events_first_shown(events, {"e3", "e10"}) == 50  # the new ones are among the latest 50 anyway
    assert events_first_shown(events, {"e3", "e71"}) == 72  # down to the last new one, never behind the link
    assert events_first_shown(events, {"e177"}) == 178
    assert events_first_shown(events, set(), first=5) == 5
