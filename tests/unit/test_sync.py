"""store, sync and fanout: the event cache, when producers are asked, what is kept, and the total deadline.

Producers are fake clients (no servers); the store is a real SQLite file under tmp_path.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from builders import ORGNR12, PNR, PNR2, make_event
from portal_builders import (
    LST_ORGNR,
    SKV_ORGNR,
    FakeClient,
    mandate_party,
    own_party,
    signatory_party,
    statements_run,
    sync_config,
)

from portal.fanout import fan_out
from portal.producers import FetchResult, ProducerFailed
from portal.standard.ballholder import BallHolder
from portal.standard.models import Arende, Kund
from portal.standard.tidpunkt import local_date
from portal.standard.clock import now
from portal.store import Store, SyncState, connect, ensure_schema
from testdb import test_database
from portal.sync import refresh, visible_events, visible_producers

FIRM = Kund(ORGNR12, "Organisationsnummer")
ME = Kund(PNR, "Personnummer")
CORRELATION = "6f1d2c1e-2b9a-4c41-9d35-0c1f3a7c2e10"
SLUGS = ("skatteverket", "lansstyrelsen", "tanum")


@pytest.fixture()
def clients():
    return {slug: FakeClient() for slug in SLUGS}


def E(id_, typ="SKV.MOMS.BESLUT", *, day=1, hour=10, kund=ME, **kw):
    return make_event(id_, kund=kund, typ=typ, tidpunkt=f"2026-09-{day:02d}T{hour:02d}:00:00+02:00", **kw)


def ids(stored) -> list[str]:
    return [s.event.kundhandelse_id for s in stored]


def run(store, cfg, clients, party, **kw):
    return refresh(store, cfg, clients, party, PNR, CORRELATION, **kw)


def age_state(store, party, slug, orgnr, *, hours: float):
    """Pretend the last fetch (successful and full) was ``hours`` ago."""
    digits = party.identity.digits
    scope = party.scope(orgnr)
    state = store.sync_state(digits, slug, scope)
    then = now() - dt.timedelta(hours=hours)
    state.last_success_at = then
    state.last_full_at = then
    store.save_sync_state(digits, slug, scope, state)


# --- store ---------------------------------------------------------------------------


def test_a_long_answer_in_time_is_stored_beside_the_page_and_shown_as_still_coming(store, clients, database):
    import portal.sync as sync_mod
    cfg = sync_config()
    party = own_party()
    many = [E(f"s{i}", day=1 + i % 28, hour=i % 24) for i in range(sync_mod.IN_PAGE_EVENTS + 1)]
    clients["skatteverket"].answer_with(many)
    clients["tanum"].answer_with([E("t1", "TANUM.BYGGLOV.MOTTAGEN", day=3)])
    statuses = run(store, cfg, clients, party, store_factory=lambda: Store(connect(database)))
    assert statuses["skatteverket"].pending and not statuses["tanum"].pending
    assert "t1" in ids(visible_events(store, cfg, party))  # the short answer was stored before the page
    for _ in range(600):  # the long one is stored shortly after, its sync state last (and nothing is lost)
        if store.sync_state(PNR, "skatteverket", "*").last_success_at is not None:
            break
        threading.Event().wait(0.05)
    assert store.sync_state(PNR, "skatteverket", "*").last_success_at is not None
    assert store.stored_ids(PNR, "skatteverket") == {e.kundhandelse_id for e in many}


def test_schema_is_idempotent(tmp_path):
    db = connect(test_database(tmp_path / "sub"))  # creates the folder
    try:
        ensure_schema(db)
        ensure_schema(db)
        from sqlalchemy import inspect

        assert {"events", "sync", "users", "sessions", "representation"} <= set(inspect(db.connection).get_table_names())
    finally:
        db.close()


def test_upsert_replaces_by_party_producer_and_id_never_duplicates(store):
    store.upsert_events(PNR, "tanum", [E("e1", "TANUM.BYGGLOV.MOTTAGEN", rubrik="Mottagen")])
    store.upsert_events(PNR, "tanum", [E("e1", "TANUM.BYGGLOV.MOTTAGEN", rubrik="Mottagen (rättad)", kraver=True)])
    stored = store.events(PNR)
    assert len(stored) == 1
    assert stored[0].event.rubrik == "Mottagen (rättad)"
    assert stored[0].event.ball_holder is BallHolder.CUSTOMER
    assert store.db.execute("select count(*) from events").fetchone()[0] == 1


def test_same_id_at_another_producer_or_for_another_party_is_another_event(store):
    store.upsert_events(PNR, "tanum", [E("e1", "TANUM.BYGGLOV.MOTTAGEN")])
    store.upsert_events(PNR, "lansstyrelsen", [E("e1", "LST.VATTENBRUK.MOTTAGEN")])
    store.upsert_events(PNR2, "tanum", [E("e1", "TANUM.BYGGLOV.MOTTAGEN", kund=Kund(PNR2, "Personnummer"))])
    assert sorted(s.producer for s in store.events(PNR)) == ["lansstyrelsen", "tanum"]
    assert [s.producer for s in store.events(PNR2)] == ["tanum"]


def test_upsert_of_nothing_is_harmless(store):
    store.upsert_events(PNR, "tanum", [])
    assert store.events(PNR) == []


def test_events_newest_first_and_filtered_by_producer(store):
    store.upsert_events(PNR, "skatteverket", [E("s1", day=3), E("s2", day=7)])
    store.upsert_events(PNR, "tanum", [E("t1", "TANUM.BYGGLOV.MOTTAGEN", day=5),
                                       E("t2", "TANUM.BYGGLOV.BESLUT", day=1)])
    # Instants, not text: 09:30Z on the 7th is after 10:00+02:00 (08:00Z) on the 7th.
    store.upsert_events(PNR, "lansstyrelsen", [make_event("l1", typ="LST.VATTENBRUK.MOTTAGEN",
                                                          tidpunkt="2026-09-07T09:30:00Z")])
    assert ids(store.events(PNR)) == ["l1", "s2", "t1", "s1", "t2"]
    assert ids(store.events(PNR, ["tanum"])) == ["t1", "t2"]
    assert ids(store.events(PNR, ["tanum", "skatteverket"])) == ["s2", "t1", "s1", "t2"]
    assert store.events(PNR, []) == []
    assert store.events(PNR2) == []


def test_stored_event_comes_back_whole(store):
    event = make_event("e1", kund=FIRM, arende=Arende("BN 2026-123", "Diarienummer"), typ="TANUM.BYGGLOV.BEGARAN",
                       kraver=True, utokad={"senastDatum": "2026-09-30", "saknadeHandlingar": ["Situationsplan"]},
                       referenser={"lank": "https://tanum.example/arenden/123"}, taggar=("bygglov",),
                       rubrik="Komplettering behövs", beskrivning="Skicka en situationsplan.")
    store.upsert_events(ORGNR12, "tanum", [event])
    [stored] = store.events(ORGNR12)
    assert stored.producer == "tanum"
    assert stored.event == event
    assert stored.event.deadline == dt.date(2026, 9, 30)


def test_delete_missing_only_drops_in_scope_events_not_kept(store):
    store.upsert_events(ORGNR12, "skatteverket", [E("m1", kund=FIRM), E("m2", kund=FIRM),
                                                  E("f1", "SKV.FSKATT.BESLUT", kund=FIRM)])
    store.upsert_events(ORGNR12, "tanum", [E("t1", "TANUM.BYGGLOV.MOTTAGEN", kund=FIRM)])
    gone = store.delete_missing(ORGNR12, "skatteverket", {"m1"}, lambda typ: typ.startswith("SKV.MOMS."))
    assert gone == 1
    assert sorted(ids(store.events(ORGNR12))) == ["f1", "m1", "t1"]


def test_sync_state_round_trip(store):
    assert store.sync_state(PNR, "tanum", "*") == SyncState()
    moment = now().replace(microsecond=0)
    state = SyncState(moment, moment - dt.timedelta(hours=1), moment, moment, "down", 2, 1)
    store.save_sync_state(PNR, "tanum", "*", state)
    assert store.sync_state(PNR, "tanum", "*") == state
    assert store.sync_state(PNR, "tanum", "SKV.MOMS") == SyncState()  # per scope


# --- refresh: when and how producers are asked ---------------------------------------------


def test_first_refresh_is_a_full_fetch_of_every_visible_producer(store, clients):
    cfg = sync_config()
    clients["skatteverket"].answer_with([E("s1"), E("s2", day=2)])
    clients["tanum"].answer_with([E("t1", "TANUM.BYGGLOV.MOTTAGEN", day=3)])
    statuses = run(store, cfg, clients, own_party(), language="en")
    assert set(statuses) == set(SLUGS)
    for slug in SLUGS:
        [call] = clients[slug].calls
        assert call["since"] is None
        assert call["kund"] == ME
        assert call["anvandare"] == PNR
        assert call["correlation_id"] == CORRELATION
        assert call["language"] == "en"
        status = statuses[slug]
        assert status.ok and status.asked
        assert status.failing_since is None and status.reason is None
        assert status.last_success_at is not None
    assert statuses["lansstyrelsen"].name == "Länsstyrelsen Västra Götaland"
    assert ids(visible_events(store, cfg, own_party())) == ["t1", "s2", "s1"]


def test_refresh_asks_for_the_party_not_the_user(store, clients):
    cfg = sync_config()
    run(store, cfg, clients, signatory_party())
    assert clients["tanum"].calls[0]["kund"] == FIRM
    assert clients["tanum"].calls[0]["anvandare"] == PNR


def test_second_refresh_within_fresh_s_does_not_ask(store, clients):
    cfg = sync_config(fresh_s=60)
    clients["skatteverket"].answer_with([E("s1")])
    run(store, cfg, clients, own_party())
    statuses = run(store, cfg, clients, own_party())
    assert all(len(c.calls) == 1 for c in clients.values())
    assert all(s.ok and not s.asked for s in statuses.values())
    assert statuses["skatteverket"].last_success_at is not None
    assert ids(visible_events(store, cfg, own_party())) == ["s1"]  # the cache is shown as it is


def test_force_asks_even_when_fresh(store, clients):
    cfg = sync_config(fresh_s=60)
    run(store, cfg, clients, own_party())
    statuses = run(store, cfg, clients, own_party(), force=True)
    assert all(len(c.calls) == 2 for c in clients.values())
    assert all(s.asked for s in statuses.values())
    assert clients["tanum"].calls[1]["since"] is not None  # forced, but still incremental


@pytest.mark.parametrize("overlap_days", [1, 3])
def test_stale_cache_is_refreshed_incrementally_from_the_last_success(store, clients, overlap_days):
    cfg = sync_config(fresh_s=0, overlap_days=overlap_days)
    party = own_party()
    run(store, cfg, clients, party)
    last = store.sync_state(PNR, "tanum", "*").last_success_at
    run(store, cfg, clients, party)
    [first, second] = clients["tanum"].calls
    assert first["since"] is None
    assert second["since"] == local_date(last) - dt.timedelta(days=overlap_days)


def test_incremental_since_is_the_swedish_local_date(store, clients):
    cfg = sync_config(fresh_s=0, overlap_days=1)
    party = own_party()
    # Last success yesterday at 23:30 UTC: already today in Stockholm (UTC+1 or +2), so since is yesterday.
    yesterday = (now() - dt.timedelta(days=1)).date()
    moment = dt.datetime.combine(yesterday, dt.time(23, 30), tzinfo=dt.timezone.utc)
    store.save_sync_state(PNR, "tanum", "*", SyncState(last_success_at=moment, last_full_at=now()))
    run(store, cfg, clients, party)
    assert clients["tanum"].calls[0]["since"] == yesterday


def test_incremental_refresh_merges_and_deletes_nothing(store, clients):
    cfg = sync_config(fresh_s=0)
    party = own_party()
    clients["skatteverket"].answer_with([E("old", day=1)])
    run(store, cfg, clients, party)
    clients["skatteverket"].answer_with([E("new", day=9)])  # the old one is before since
    run(store, cfg, clients, party)
    assert clients["skatteverket"].calls[1]["since"] is not None
    assert ids(visible_events(store, cfg, party)) == ["new", "old"]


def _stored_once(store, clients):
    """Two events of skatteverket stored by a first (full) fetch; -> (config asking every time, party, case version)."""
    cfg, party = sync_config(fresh_s=0), own_party()
    clients["skatteverket"].answer_with([E("a", day=1), E("b", day=2, rubrik="Vi behöver mer")])
    run(store, cfg, clients, party)
    return cfg, party, store.case_version(PNR)


def test_an_incremental_answer_that_repeats_what_is_stored_writes_nothing_but_the_sync_state(store, clients):
    cfg, party, version = _stored_once(store, clients)
    ran = statements_run(store, words=3)
    run(store, cfg, clients, party)  # incremental: the same two events again, as stored
    assert clients["skatteverket"].calls[-1]["since"] is not None
    writes = [s for s in ran if s.split()[0] in ("insert", "update", "delete") and "fetch_leases" not in s]
    assert writes == ["insert into sync"]  # no event, case row or case version written: only when it was asked
    assert not any("count(*)" in s for s in ran)  # nothing new: the cap needs no count
    assert store.case_version(PNR) == version  # what pages keep for the party stays good
    assert ids(visible_events(store, cfg, party)) == ["b", "a"]


def test_an_incremental_answer_writes_what_changed_and_what_is_new(store, clients):
    cfg, party, version = _stored_once(store, clients)
    # b comes again changed (sent twice: the later one counts), c is new, a is as stored.
    clients["skatteverket"].answer_with([E("a", day=1), E("b", day=2, rubrik="Ändrad"), E("b", day=2, rubrik="Sist"),
                                         E("c", day=3)])
    run(store, cfg, clients, party)
    stored = {s.event.kundhandelse_id: s.event for s in store.events(ME.identifierare, ["skatteverket"])}
    assert sorted(stored) == ["a", "b", "c"] and stored["b"].rubrik == "Sist"
    assert store.case_version(PNR) > version
    assert ids(visible_events(store, cfg, party)) == ["c", "b", "a"]


def test_changed_events_keeps_the_last_of_an_id_unless_it_is_stored_so():
    from portal.store.events import changed_events, event_columns
    a, b1, b2 = E("a"), E("b", rubrik="Först"), E("b", rubrik="Sist")
    assert changed_events([a, b1, b2], {}) == [a, b2]
    assert changed_events([a, b1, b2], {"a": event_columns(a), "b": event_columns(b2)}) == []
    assert changed_events([a, b1, b2], {"a": event_columns(a), "b": event_columns(b1)}) == [b2]
    edited = E("a", rubrik="x")  # anything of the event that is stored differs: written
    assert changed_events([edited], {"a": event_columns(a)}) == [edited]


def test_full_refresh_after_full_refresh_h_deletes_withdrawn_events(store, clients):
    cfg = sync_config(fresh_s=60, full_refresh_h=24)
    party = own_party()
    clients["skatteverket"].answer_with([E("keep"), E("withdrawn", day=2)])
    run(store, cfg, clients, party)
    age_state(store, party, "skatteverket", SKV_ORGNR, hours=25)
    clients["skatteverket"].answer_with([E("keep"), E("fresh", day=5)])
    statuses = run(store, cfg, clients, party)
    assert clients["skatteverket"].calls[1]["since"] is None
    assert statuses["skatteverket"].ok and statuses["skatteverket"].asked
    assert ids(visible_events(store, cfg, party)) == ["fresh", "keep"]
    # The full fetch is remembered: the next stale refresh is incremental again.
    state = store.sync_state(PNR, "skatteverket", "*")
    assert now() - state.last_full_at < dt.timedelta(minutes=1)


def test_before_full_refresh_h_a_stale_cache_is_fetched_incrementally(store, clients):
    cfg = sync_config(fresh_s=60, full_refresh_h=24)
    party = own_party()
    clients["skatteverket"].answer_with([E("keep"), E("not-in-the-increment", day=2)])
    run(store, cfg, clients, party)
    age_state(store, party, "skatteverket", SKV_ORGNR, hours=23)
    clients["skatteverket"].answer_with([E("keep")])
    run(store, cfg, clients, party)
    assert clients["skatteverket"].calls[1]["since"] is not None
    assert ids(visible_events(store, cfg, party)) == ["not-in-the-increment", "keep"]


def test_incomplete_full_fetch_deletes_nothing(store, clients):
    cfg = sync_config(fresh_s=0)
    party = own_party()
    clients["skatteverket"].answer_with([E("a"), E("b", day=2)])
    run(store, cfg, clients, party)
    age_state(store, party, "skatteverket", SKV_ORGNR, hours=48)
    clients["skatteverket"].answer_with([E("a")], incomplete=["page bound reached"])  # the page bound stopped the client
    run(store, cfg, clients, party)
    assert clients["skatteverket"].calls[1]["since"] is None
    assert sorted(ids(visible_events(store, cfg, party))) == ["a", "b"]


@pytest.mark.parametrize("why", [["partial answer (206)", "a delfraga failed"], ["unreadable events"],
                                 ["fewer events than totaltAntalKundhandelser"]])
def test_an_incomplete_answer_deletes_nothing_says_so_and_the_next_fetch_is_full_again(store, clients, why):
    cfg = sync_config(fresh_s=0, full_refresh_h=1000)
    party = own_party()
    clients["skatteverket"].answer_with([E("a"), E("b", day=2)])
    run(store, cfg, clients, party)
    age_state(store, party, "skatteverket", SKV_ORGNR, hours=2000)
    behind = ["Tanums kommun"] if "a delfraga failed" in why else []
    clients["skatteverket"].answer_with([E("a"), E("new", day=3)], incomplete=why, failed_behind=behind)
    status = run(store, cfg, clients, party)["skatteverket"]
    assert clients["skatteverket"].calls[1]["since"] is None  # a full fetch ...
    assert sorted(ids(visible_events(store, cfg, party))) == ["a", "b", "new"]  # ... that added, and deleted nothing
    assert status.ok and status.incomplete and list(status.failed_behind) == behind
    clients["skatteverket"].answer_with([E("a"), E("new", day=3)])
    status = run(store, cfg, clients, party)["skatteverket"]
    assert clients["skatteverket"].calls[2]["since"] is None  # no full answer yet: full again
    assert sorted(ids(visible_events(store, cfg, party))) == ["a", "new"]  # a complete full answer deletes
    assert status.ok and not status.incomplete and status.failed_behind == ()


def test_an_event_moved_to_another_case_leaves_no_ghost_case_row(store):
    ref = lambda number: {"diarienummer": number}  # noqa: E731
    store.upsert_events(PNR, "tanum", [E("a", "TANUM.BYGGLOV.MOTTAGEN", referenser=ref("BN 1")),
                                       E("b", "TANUM.BYGGLOV.MOTTAGEN", day=2, referenser=ref("BN 2"))])
    assert sorted(k for _, k in store.case_keys(PNR, ["tanum"])) == ["Diarienummer:BN 1", "Diarienummer:BN 2"]
    # The agency corrects event a's case reference: BN 1 was a typo for BN 2.
    store.upsert_events(PNR, "tanum", [E("a", "TANUM.BYGGLOV.MOTTAGEN", referenser=ref("BN 2"))])
    assert [k for _, k in store.case_keys(PNR, ["tanum"])] == ["Diarienummer:BN 2"]
    row = store.case_rows_for(PNR, [("tanum", "Diarienummer:BN 2")])[("tanum", "Diarienummer:BN 2")]
    assert row.events == 2 and row.reference == "BN 2"


def test_full_refresh_of_a_representative_deletes_only_within_the_mandate(store, clients):
    cfg = sync_config(fresh_s=60)
    owner = signatory_party()
    clients["skatteverket"].answer_with([E("moms-1", kund=FIRM), E("moms-2", kund=FIRM, day=2),
                                         E("fskatt", "SKV.FSKATT.BESLUT", kund=FIRM, day=3)])
    clients["tanum"].answer_with([E("bygglov", "TANUM.BYGGLOV.MOTTAGEN", kund=FIRM, day=4)])
    run(store, cfg, clients, owner)

    rep = mandate_party((SKV_ORGNR, ("SKV.MOMS",)))
    clients["skatteverket"].answer_with([E("moms-1", kund=FIRM)])  # moms-2 was withdrawn
    run(store, cfg, clients, rep)  # its own scope: a first, full fetch
    assert clients["skatteverket"].calls[-1]["since"] is None
    # The representative sees only VAT events; moms-2 is gone.
    assert ids(visible_events(store, cfg, rep)) == ["moms-1"]
    # What the wider basis stored outside the mandate stays for the owner.
    assert sorted(ids(visible_events(store, cfg, owner))) == ["bygglov", "fskatt", "moms-1"]


def test_each_scope_has_its_own_freshness(store, clients):
    cfg = sync_config(fresh_s=60)
    run(store, cfg, clients, signatory_party())
    run(store, cfg, clients, mandate_party((SKV_ORGNR, ("SKV.MOMS",))))
    assert len(clients["skatteverket"].calls) == 2  # the owner's fresh cache does not vouch for the mandate's scope
    run(store, cfg, clients, mandate_party((SKV_ORGNR, ("SKV.MOMS",))))
    assert len(clients["skatteverket"].calls) == 2


# --- refresh: failures ---------------------------------------------------------------------


def test_failing_producer_keeps_cached_events_and_reports_it(store, clients):
    cfg = sync_config(fresh_s=0)
    party = own_party()
    clients["skatteverket"].answer_with([E("s1"), E("s2", day=2)])
    clients["tanum"].answer_with([E("t1", "TANUM.BYGGLOV.MOTTAGEN")])
    assert run(store, cfg, clients, party)["skatteverket"].ok

    age_state(store, party, "skatteverket", SKV_ORGNR, hours=48)  # even a due full refresh must not delete
    succeeded_at = store.sync_state(PNR, "skatteverket", "*").last_success_at
    clients["skatteverket"].fail_with("down", "producer not reachable (ConnectionError)")
    statuses = run(store, cfg, clients, party)
    status = statuses["skatteverket"]
    assert status.asked
    assert status.ok is False
    assert status.reason == "down"
    assert status.failing_since is not None
    assert status.last_success_at == succeeded_at
    assert statuses["tanum"].ok  # others are unaffected
    assert sorted(ids(visible_events(store, cfg, party))) == ["s1", "s2", "t1"]


def test_a_failing_producer_is_asked_again_and_failing_since_keeps_the_first_failure(store, clients):
    cfg = sync_config(fresh_s=3600)
    party = own_party()
    clients["skatteverket"].fail_with("timeout")
    first = run(store, cfg, clients, party)["skatteverket"]
    assert first.ok is False and first.last_success_at is None
    second = run(store, cfg, clients, party)["skatteverket"]
    assert len(clients["skatteverket"].calls) == 2  # not fresh while failing
    assert len(clients["tanum"].calls) == 1  # healthy and fresh
    assert second.failing_since == first.failing_since
    assert second.reason == "timeout"

    clients["skatteverket"].answer_with([E("s1")])
    recovered = run(store, cfg, clients, party)["skatteverket"]
    assert recovered.ok and recovered.failing_since is None and recovered.reason is None
    assert recovered.last_success_at is not None
    assert clients["skatteverket"].calls[2]["since"] is None  # never succeeded: still a full fetch
    assert ids(visible_events(store, cfg, party)) == ["s1"]


def test_producer_missing_the_total_deadline_is_reported(store, clients):
    cfg = sync_config(total_deadline_s=0.3)
    release = threading.Event()
    # Länsstyrelsen answers only when released (or after 30 s): had the run waited for it, it would be "ok".
    clients["lansstyrelsen"].answer = lambda call: (release.wait(30), FetchResult())[1]
    clients["tanum"].answer_with([E("t1", "TANUM.BYGGLOV.MOTTAGEN")])
    try:
        statuses = run(store, cfg, clients, own_party())
    finally:
        release.set()
    assert statuses["lansstyrelsen"].ok is False
    assert statuses["lansstyrelsen"].reason == "deadline"
    assert statuses["tanum"].ok
    assert ids(visible_events(store, cfg, own_party())) == ["t1"]


# --- refresh: the mandate's reach --------------------------------------------------------------


def test_producers_outside_the_mandate_are_never_asked(store, clients):
    cfg = sync_config()
    rep = mandate_party((SKV_ORGNR, ("SKV.MOMS",)))
    statuses = run(store, cfg, clients, rep)
    assert set(statuses) == {"skatteverket"}
    assert clients["lansstyrelsen"].calls == [] and clients["tanum"].calls == []
    assert [p.slug for p in visible_producers(cfg, rep)] == ["skatteverket"]
    assert [p.slug for p in visible_producers(cfg, own_party())] == list(SLUGS)


def test_refresh_needs_no_client_for_producers_outside_the_mandate(store):
    cfg = sync_config()
    only = {"lansstyrelsen": FakeClient()}
    statuses = run(store, cfg, only, mandate_party((LST_ORGNR, ("LST.VATTENBRUK",))))
    assert set(statuses) == {"lansstyrelsen"}


def test_uncovered_event_types_from_a_buggy_producer_are_neither_stored_nor_shown(store, clients):
    cfg = sync_config()
    rep = mandate_party((SKV_ORGNR, ("SKV.MOMS",)))
    clients["skatteverket"].answer_with([
        E("moms", "SKV.MOMS.BESLUT", kund=FIRM),
        E("momsx", "SKV.MOMSX.BESLUT", kund=FIRM, day=2),
        E("agi", "SKV.ARBETSGIVARE.DEKLARATION", kund=FIRM, day=3),
        E("lst", "LST.VATTENBRUK.BESLUT", kund=FIRM, day=4),
    ])
    statuses = run(store, cfg, clients, rep)
    assert statuses["skatteverket"].ok
    assert ids(store.events(ORGNR12)) == ["moms"]
    assert ids(visible_events(store, cfg, rep)) == ["moms"]


def test_visible_events_hides_what_a_wider_basis_stored(store, clients):
    cfg = sync_config()
    store.upsert_events(ORGNR12, "skatteverket", [E("moms", kund=FIRM), E("fskatt", "SKV.FSKATT.BESLUT", kund=FIRM,
                                                                          day=2)])
    store.upsert_events(ORGNR12, "tanum", [E("bygglov", "TANUM.BYGGLOV.MOTTAGEN", kund=FIRM, day=3)])
    assert ids(visible_events(store, cfg, mandate_party((SKV_ORGNR, ("SKV.MOMS",))))) == ["moms"]
    assert ids(visible_events(store, cfg, mandate_party((SKV_ORGNR, ("SKV",))))) == ["fskatt", "moms"]
    assert ids(visible_events(store, cfg, signatory_party())) == ["bygglov", "fskatt", "moms"]
    # Nothing of another party.
    assert visible_events(store, cfg, own_party()) == []


def test_invalid_and_foreign_counts_surface_in_the_status(store, clients):
    cfg = sync_config(fresh_s=60)
    clients["tanum"].answer_with([E("t1", "TANUM.BYGGLOV.MOTTAGEN")], invalid=2, foreign=1)
    statuses = run(store, cfg, clients, own_party())
    assert (statuses["tanum"].invalid, statuses["tanum"].foreign) == (2, 1)
    assert (statuses["skatteverket"].invalid, statuses["skatteverket"].foreign) == (0, 0)
    again = run(store, cfg, clients, own_party())  # from the cache, not asked
    assert not again["tanum"].asked
    assert (again["tanum"].invalid, again["tanum"].foreign) == (2, 1)


def test_counts_are_kept_while_the_producer_fails(store, clients):
    cfg = sync_config(fresh_s=0)
    clients["tanum"].answer_with([], invalid=3, foreign=0)
    run(store, cfg, clients, own_party())
    clients["tanum"].fail_with("invalid", "answer is not JSON")
    status = run(store, cfg, clients, own_party())["tanum"]
    assert status.ok is False and status.reason == "invalid"
    assert status.invalid == 3


# --- fan_out ---------------------------------------------------------------------------------


def test_fan_out_returns_within_the_deadline_and_reports_the_slow_task():
    release = threading.Event()

    def slow():
        release.wait(30)  # answers only when released, after fan_out has returned
        return FetchResult()

    fast_result = FetchResult(events=[E("e1")])
    try:
        outcomes = fan_out({"slow": slow, "fast": lambda: fast_result, "also-fast": FetchResult}, 0.3)
        returned_before_release = not release.is_set()
    finally:
        release.set()
    assert returned_before_release
    assert outcomes["slow"].result is None
    assert outcomes["slow"].failure == "deadline"
    assert outcomes["fast"].result is fast_result and outcomes["fast"].failure is None
    assert outcomes["also-fast"].failure is None


def test_fan_out_runs_tasks_concurrently():
    # Each task waits until all five are running at once: run one after another, none could pass the barrier.
    barrier = threading.Barrier(5, timeout=20)

    def task():
        barrier.wait()
        return FetchResult()

    outcomes = fan_out({f"p{i}": task for i in range(5)}, 30.0)
    assert all(o.failure is None for o in outcomes.values()), outcomes


def test_fan_out_unexpected_exception_is_an_error_without_affecting_others():
    def broken():
        raise KeyError("kundhandelser")

    outcomes = fan_out({"broken": broken, "fine": FetchResult}, 2.0)
    assert outcomes["broken"].failure == "error"
    assert outcomes["broken"].result is None
    assert outcomes["broken"].detail == "KeyError"  # the class only: messages may hold data
    assert outcomes["fine"].failure is None and isinstance(outcomes["fine"].result, FetchResult)


def test_fan_out_producer_failed_keeps_its_reason():
    def refused():
        raise ProducerFailed("forbidden", "producer refused the user for this customer (403)")

    outcomes = fan_out({"refused": refused, "fine": FetchResult}, 2.0)
    assert outcomes["refused"].failure == "forbidden"
    assert "403" in outcomes["refused"].detail
    assert outcomes["fine"].result is not None


def test_fan_out_of_nothing():
    assert fan_out({}, 0.1) == {}


# --- storage cap ---------------------------------------------------------------------------------


def test_a_producer_cannot_store_more_than_the_cap_for_one_party_and_the_page_is_told(store, clients):
    cfg = sync_config(max_events_per_producer=3, fresh_s=0)
    clients["skatteverket"].answer_with([E(f"s{d}", day=d) for d in range(1, 6)])
    statuses = run(store, cfg, clients, own_party())
    # The newest that fit are kept; the two oldest are left out and counted.
    assert ids(store.events(ME.identifierare, ["skatteverket"])) == ["s5", "s4", "s3"]
    assert statuses["skatteverket"].capped == 2
    assert statuses["tanum"].capped == 0
    # A later answer replaces what is stored but never pushes it out for something new.
    clients["skatteverket"].answer_with([E(f"s{d}", day=d, rubrik="Ny") for d in range(1, 9)])
    statuses = run(store, cfg, clients, own_party())
    stored = store.events(ME.identifierare, ["skatteverket"])
    assert ids(stored) == ["s5", "s4", "s3"]
    assert {s.event.rubrik for s in stored} == {"Ny"}
    assert statuses["skatteverket"].capped == 5


def test_an_incremental_answer_fills_only_the_room_left_under_the_cap(store, clients):
    # An incremental answer reads only its own events' rows and the count of what is stored, not every row.
    cfg = sync_config(max_events_per_producer=5, fresh_s=0)
    clients["skatteverket"].answer_with([E(f"s{d}", day=d) for d in range(1, 4)])
    run(store, cfg, clients, own_party())  # the first answer is full: three stored, room for two
    clients["skatteverket"].answer_with([E("s3", day=3, rubrik="Ny"), *(E(f"s{d}", day=d) for d in range(6, 9))])
    statuses = run(store, cfg, clients, own_party())
    assert clients["skatteverket"].calls[-1]["since"] is not None  # it was an incremental question
    stored = store.events(ME.identifierare, ["skatteverket"])
    assert ids(stored) == ["s8", "s7", "s3", "s2", "s1"]  # the two newest new ones fit; s3 was replaced
    assert next(s for s in stored if s.event.kundhandelse_id == "s3").event.rubrik == "Ny"
    assert statuses["skatteverket"].capped == 1


def test_within_cap_counts_what_is_stored_when_told_how_many():
    from portal.sync import within_cap
    events = [E("a", day=1), E("b", day=2), E("c", day=3)]
    # "a" is stored, among 9 others not in this answer: room for one new event under a cap of 11.
    kept, left_out = within_cap(events, {"a"}, 11, stored_count=10)
    assert [e.kundhandelse_id for e in kept] == ["a", "c"] and left_out == 1


def test_the_cap_is_generous_by_default():
    assert sync_config().settings.max_events_per_producer >= 10_000
