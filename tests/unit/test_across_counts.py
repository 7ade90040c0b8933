"""What a representative is told about each customer: counts from the cache (``party_counts``) and which customers
to fetch news for first (``across_refresh``)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from builders import PNR, make_event
from portal_builders import SECRET, SKV_ORGNR, mandate_party, own_party, person, sync_config
from testdb import test_database

from portal import across_refresh
from portal import party_counts as party_counts_module
from portal.across_refresh import Age, age_of, is_stale, stalest
from portal.case import BASELINE, agency_baseline, case_handle, party_handle_key
from portal.party_counts import CaseFact, PartyCounts, party_counts, visible_facts, with_news
from portal.standard.models import Arende
from portal.store import Store, connect, ensure_schema

T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
ORGNR = {"skatteverket": SKV_ORGNR}


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _fact(key: str, types=("SKV.MOMS.DEKLARATION",), arrived: int | None = 10, ball="customer") -> CaseFact:
    return CaseFact(PNR, "skatteverket", key, ball, tuple(types), _at(arrived) if arrived is not None else None)


# --- counts ---------------------------------------------------------------------------------------------------


def test_a_mandate_counts_only_cases_it_may_see_whole():
    facts = [_fact("moms"), _fact("deklaration", ("SKV.INKOMSTDEKLARATION.FORFRAGAN",)),
             _fact("blandat", ("SKV.MOMS.DEKLARATION", "SKV.INKOMSTDEKLARATION.FORFRAGAN"))]
    assert [f.case_key for f in visible_facts(own_party(), facts, ORGNR)] == ["moms", "deklaration", "blandat"]
    vat_only = mandate_party(identity=person(PNR))
    assert [f.case_key for f in visible_facts(vat_only, facts, ORGNR)] == ["moms"]
    # An agency the mandate does not reach shows nothing there.
    elsewhere = mandate_party(("2021002114", ("LST",)), identity=person(PNR))
    assert visible_facts(elsewhere, facts, ORGNR) == []


def test_new_is_measured_from_the_agencys_first_answer_and_the_last_look():
    party = own_party()
    handle = case_handle("skatteverket", "moms", party_handle_key(SECRET, PNR))
    facts = [_fact("moms", arrived=10)]
    assert with_news(party, facts, {}, SECRET) == []  # no answer of the agency shown yet: nothing is new
    seen = {BASELINE: _at(0), agency_baseline("skatteverket"): _at(5)}
    assert with_news(party, facts, seen, SECRET) == [("skatteverket", "moms", _at(5))]
    assert with_news(party, facts, seen | {agency_baseline("skatteverket"): _at(10)}, SECRET) == []
    assert with_news(party, facts, seen | {handle: _at(12)}, SECRET) == []  # opened after it arrived
    assert with_news(party, [_fact("moms", arrived=None)], seen, SECRET) == []


@pytest.fixture()
def store(tmp_path):
    s = Store(connect(test_database(tmp_path, "counts")))  # SQLite, or PostgreSQL with PORTAL_TEST_BACKEND
    ensure_schema(s.db)
    yield s
    s.close()


def _event(event_id: str, case: str, typ: str, *, kraver: bool):
    return make_event(event_id, arende=Arende(case, "Diarienummer"), typ=typ, kraver=kraver, producent="Skatteverket")


def test_counts_for_every_party_from_the_store(store):
    cfg = sync_config()
    store.upsert_events(PNR, "skatteverket", [
        _event("e1", "moms-1", "SKV.MOMS.KOMPLETTERING", kraver=True),
        _event("e2", "dekl-1", "SKV.INKOMSTDEKLARATION.FORFRAGAN", kraver=True),
        _event("e3", "moms-2", "SKV.MOMS.MOTTAGEN", kraver=False),
    ])
    user = "user-1"
    for key in (BASELINE, agency_baseline("skatteverket")):
        store.mark_seen(user, PNR, key)
    # After the first look, a new event in a case the mandate covers, and one in a case it does not.
    store.upsert_events(PNR, "skatteverket", [_event("e4", "moms-2", "SKV.MOMS.KOMPLETTERING", kraver=True),
                                              _event("e5", "dekl-1", "SKV.INKOMSTDEKLARATION.BESLUT", kraver=True)])
    own, vat_only = own_party(), mandate_party(identity=person(PNR), name="Som ombud")
    other = own_party("199001012384", "Ingen Alls")
    assert party_counts(store, [own, other], user, SECRET, cfg.producers) == {
        PNR: PartyCounts(waiting=3, new=2), "199001012384": PartyCounts()}
    assert party_counts(store, [vat_only], user, SECRET, cfg.producers) == {PNR: PartyCounts(waiting=2, new=1)}
    # Opening the case ends its "new".
    store.mark_seen(user, PNR, case_handle("skatteverket", "Diarienummer:moms-2", party_handle_key(SECRET, PNR)))
    assert party_counts(store, [vat_only], user, SECRET, cfg.producers)[PNR] == PartyCounts(waiting=2, new=0)
    # Another user's looks are not hers: nothing is new to someone who never looked.
    assert party_counts(store, [own], "user-2", SECRET, cfg.producers)[PNR] == PartyCounts(waiting=3, new=0)


def test_counts_are_kept_until_a_partys_cases_or_the_users_looks_change_in_any_instance(store, monkeypatch):
    cfg = sync_config()
    user, own = "user-1", own_party()
    store.upsert_events(PNR, "skatteverket", [_event("e1", "moms-1", "SKV.MOMS.KOMPLETTERING", kraver=True)])
    for key in (BASELINE, agency_baseline("skatteverket")):
        store.mark_seen(user, PNR, key)
    assert party_counts(store, [own], user, SECRET, cfg.producers)[PNR] == PartyCounts(waiting=1, new=0)
    real_read = party_counts_module.read_case_facts
    reads = []
    monkeypatch.setattr(party_counts_module, "read_case_facts", lambda *a: reads.append(1) or real_read(*a))
    assert party_counts(store, [own], user, SECRET, cfg.producers)[PNR] == PartyCounts(waiting=1, new=0)
    assert reads == []  # nothing changed: the counts were kept, no case row read
    # Another instance (a connection of its own) stores an agency's news: this one counts anew.
    other = Store(connect(store.db.database))
    try:
        other.upsert_events(PNR, "skatteverket", [_event("e2", "dekl-1", "SKV.INKOMSTDEKLARATION.FORFRAGAN",
                                                         kraver=True)])
        assert party_counts(store, [own], user, SECRET, cfg.producers)[PNR] == PartyCounts(waiting=2, new=1)
        assert reads == [1]
        # The user opens the new case there: its "new" ends here too.
        other.mark_seen(user, PNR, case_handle("skatteverket", "Diarienummer:dekl-1", party_handle_key(SECRET, PNR)))
        assert party_counts(store, [own], user, SECRET, cfg.producers)[PNR] == PartyCounts(waiting=2, new=0)
        assert reads == [1, 1]
    finally:
        other.close()
    # What is kept is the user's and the basis's: another basis for the same party is counted for itself.
    vat_only = mandate_party(identity=person(PNR), name="Som ombud")
    assert party_counts(store, [vat_only], user, SECRET, cfg.producers)[PNR] == PartyCounts(waiting=1, new=0)


# --- which customers to fetch first ---------------------------------------------------------------------------


def _party(name: str, digits: str):
    return own_party(digits, name)


def test_the_age_of_a_party_is_its_oldest_answer_over_the_agencies_its_basis_reaches():
    cfg = sync_config()
    party = own_party()
    rows = {(PNR, "skatteverket", "*"): (_at(10), None), (PNR, "lansstyrelsen", "*"): (_at(5), _at(20))}
    assert age_of(party, cfg.producers, rows) == Age(None, None)  # Tanum has never been asked
    rows[(PNR, "tanum", "*")] = (None, _at(30))  # asked, never answered
    assert age_of(party, cfg.producers, rows) == Age(None, _at(10))
    rows[(PNR, "tanum", "*")] = (_at(30), None)
    assert age_of(party, cfg.producers, rows) == Age(_at(5), _at(10))
    # A mandate at Skatteverket only: only Skatteverket's state (under its own scope) counts.
    vat_only = mandate_party(identity=person(PNR))
    assert age_of(vat_only, cfg.producers, rows) == Age(None, None)
    rows[(PNR, "skatteverket", "SKV.MOMS")] = (_at(40), None)
    assert age_of(vat_only, cfg.producers, rows) == Age(_at(40), _at(40))


def test_the_stalest_few_are_fetched_first_never_asked_before_the_rest():
    a, b, c, d = (_party(n, f"19900101{i:04d}") for i, n in enumerate(["Anna", "Bo", "Cilla", "Dan"]))
    ages = {a.identity.digits: Age(_at(0), _at(50)), b.identity.digits: Age(None, None),
            c.identity.digits: Age(_at(0), _at(10)), d.identity.digits: Age(_at(59), _at(59))}
    moment = _at(60)
    assert [p.name for p in stalest([a, b, c, d], ages, moment, fresh_s=300)] == ["Bo", "Cilla", "Anna"]
    assert [p.name for p in stalest([a, b, c, d], ages, moment, fresh_s=300, limit=2)] == ["Bo", "Cilla"]
    assert not is_stale(ages[d.identity.digits], moment, fresh_s=300) and is_stale(Age(None, None), moment, 300)
    assert stalest([d], ages, moment, fresh_s=300) == []


def test_one_fetch_per_user_at_a_time_and_a_failing_customer_does_not_stop_the_next():
    a, b = _party("Anna", "199001010001"), _party("Bo", "199001010002")
    go, fetched = threading.Event(), []

    def fetch_one(party):
        go.wait(10)
        fetched.append(party.name)
        if party.name == "Anna":
            raise RuntimeError("an agency answered badly")

    assert across_refresh.start("u1", [a, b], fetch_one)
    assert across_refresh.running("u1") == (a.identity.digits, b.identity.digits)
    assert not across_refresh.start("u1", [b], fetch_one)  # her earlier fetch still runs
    assert across_refresh.running("u2") == ()
    go.set()
    for _ in range(500):
        if not across_refresh.running("u1"):
            break
        threading.Event().wait(0.02)
    assert across_refresh.running("u1") == () and fetched == ["Anna", "Bo"]
    assert not across_refresh.start("u1", [], fetch_one)
