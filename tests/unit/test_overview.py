"""overview: events grouped into cases, who has the ball, and the overview's sections."""

from __future__ import annotations

import datetime as dt

from builders import make_event

from portal.config import SituationConfig
from portal.case import Case, build_cases, case_handle
from portal.standard.ballholder import BallHolder
from portal.standard.models import Arende

SKV = ("skatteverket", "Skatteverket")
LST = ("lansstyrelsen", "Länsstyrelsen Västra Götaland")
TANUM = ("tanum", "Tanums kommun")
FK = ("forsakringskassan", "Försäkringskassan")


def ev(producer, id_, tidpunkt, typ, *, arende: str | None = None, kraver=False, klart=False, deadline=None,
       rubrik=None):
    """A ``(slug, name, event)`` triple as build_cases takes it."""
    event = make_event(
        id_,
        arende=Arende(arende, "Diarienummer") if arende else None,
        tidpunkt=tidpunkt,
        typ=typ,
        kraver=kraver,
        klart=klart,
        rubrik=rubrik or f"{typ} {id_}",
        utokad={"senastDatum": deadline} if deadline else None,
    )
    return (producer[0], producer[1], event)


def situation(slug, *case_types):
    return SituationConfig(slug, slug.title(), slug.title(), tuple(case_types))


def one_case(*events) -> Case:
    cases = build_cases(list(events))
    assert len(cases) == 1
    return cases[0]


def T(day: int, hour: int = 10) -> str:
    return f"2026-09-{day:02d}T{hour:02d}:00:00+02:00"


# --- build_cases -------------------------------------------------------------------


def test_events_of_one_arende_at_one_producer_form_one_case():
    case = one_case(
        ev(LST, "e1", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="551-1"),
        ev(LST, "e2", T(3), "LST.VATTENBRUK.BESLUT", arende="551-1"),
    )
    assert case.producer == "lansstyrelsen"
    assert case.producer_name == "Länsstyrelsen Västra Götaland"
    assert case.reference == "551-1"
    assert [e.kundhandelse_id for e in case.events] == ["e2", "e1"]


def test_same_arende_at_two_producers_is_two_cases():
    cases = build_cases([
        ev(LST, "e1", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="2026-1"),
        ev(TANUM, "e1", T(2), "TANUM.BYGGLOV.MOTTAGEN", arende="2026-1"),
    ])
    assert len(cases) == 2
    assert {c.producer for c in cases} == {"lansstyrelsen", "tanum"}
    assert all(len(c.events) == 1 for c in cases)
    assert cases[0].handle != cases[1].handle


def test_two_arenden_at_one_producer_are_two_cases():
    cases = build_cases([
        ev(LST, "e1", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="551-1"),
        ev(LST, "e2", T(2), "LST.VATTENBRUK.MOTTAGEN", arende="551-2"),
    ])
    assert sorted(c.reference for c in cases) == ["551-1", "551-2"]


def test_events_without_arende_group_by_case_type():
    cases = build_cases([
        ev(SKV, "m1", T(1), "SKV.MOMS.ANSOKAN_MOTTAGEN"),
        ev(SKV, "m2", T(4), "SKV.MOMS.BESLUT"),
        ev(SKV, "f1", T(2), "SKV.FSKATT.ANSOKAN_MOTTAGEN"),
    ])
    by_type = {c.case_type: c for c in cases}
    assert set(by_type) == {"SKV.MOMS", "SKV.FSKATT"}
    assert [e.kundhandelse_id for e in by_type["SKV.MOMS"].events] == ["m2", "m1"]
    assert by_type["SKV.MOMS"].reference is None


def test_an_event_with_arende_is_not_merged_into_the_case_type_group():
    cases = build_cases([
        ev(SKV, "m1", T(1), "SKV.MOMS.ANSOKAN_MOTTAGEN"),
        ev(SKV, "m2", T(2), "SKV.MOMS.BESLUT", arende="SKV 131-1"),
    ])
    assert len(cases) == 2


def test_events_newest_first_within_a_case_whatever_the_input_order():
    case = one_case(
        ev(LST, "b", T(2), "LST.VATTENBRUK.KOMPLETTERING_BEGARD", arende="1"),
        ev(LST, "c", T(3), "LST.VATTENBRUK.KOMPLETTERING_MOTTAGEN", arende="1"),
        ev(LST, "a", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="1", rubrik="Ansökan om tillstånd för vattenbruk"),
    )
    assert [e.kundhandelse_id for e in case.events] == ["c", "b", "a"]
    assert case.latest.kundhandelse_id == "c"
    assert case.first.kundhandelse_id == "a"
    assert case.title == "Ansökan om tillstånd för vattenbruk"


def test_newest_first_across_time_zones():
    # 09:30 UTC is later than 10:00 in Stockholm summer time (08:00 UTC).
    case = one_case(
        ev(LST, "stockholm", "2026-09-01T10:00:00+02:00", "LST.VATTENBRUK.MOTTAGEN", arende="1"),
        ev(LST, "utc", "2026-09-01T09:30:00Z", "LST.VATTENBRUK.BESLUT", arende="1"),
    )
    assert case.latest.kundhandelse_id == "utc"


def test_cases_newest_activity_first():
    cases = build_cases([
        ev(LST, "old", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="A"),
        ev(TANUM, "new", T(9), "TANUM.BYGGLOV.MOTTAGEN", arende="B"),
        ev(SKV, "mid", T(5), "SKV.MOMS.BESLUT"),
        ev(LST, "old-but-active", T(10), "LST.VATTENBRUK.BESLUT", arende="A"),
    ])
    assert [c.latest.kundhandelse_id for c in cases] == ["old-but-active", "new", "mid"]


def test_no_events_no_cases():
    assert build_cases([]) == []


# --- case state ----------------------------------------------------------------------


def test_case_state_is_the_latest_events_ball_holder():
    received = ev(LST, "e1", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="1")
    requested = ev(LST, "e2", T(2), "LST.VATTENBRUK.KOMPLETTERING_BEGARD", arende="1", kraver=True,
                   deadline="2026-09-30")
    supplied = ev(LST, "e3", T(3), "LST.VATTENBRUK.KOMPLETTERING_MOTTAGEN", arende="1")
    decided = ev(LST, "e4", T(4), "LST.VATTENBRUK.BESLUT", arende="1", klart=True)

    assert one_case(received).ball_holder is BallHolder.PRODUCER
    waiting = one_case(received, requested)
    assert waiting.ball_holder is BallHolder.CUSTOMER
    assert waiting.deadline == dt.date(2026, 9, 30)
    # The agency received the supplement: the ball is back with it, and the deadline no longer applies.
    back = one_case(received, requested, supplied)
    assert back.ball_holder is BallHolder.PRODUCER
    assert back.deadline is None
    assert one_case(received, requested, supplied, decided).ball_holder is BallHolder.CLOSED


def test_an_older_event_arriving_late_does_not_change_the_state():
    case = one_case(
        ev(LST, "e3", T(3), "LST.VATTENBRUK.KOMPLETTERING_MOTTAGEN", arende="1"),
        ev(LST, "e2", T(2), "LST.VATTENBRUK.KOMPLETTERING_BEGARD", arende="1", kraver=True, deadline="2026-09-30"),
    )
    assert case.ball_holder is BallHolder.PRODUCER
    assert case.deadline is None


def test_deadline_only_while_the_ball_is_with_the_customer():
    # A producer event that happens to carry a senastDatum is no deadline for the customer.
    informative = one_case(ev(SKV, "e1", T(1), "SKV.MOMS.BESLUT", deadline="2026-10-12"))
    assert informative.ball_holder is BallHolder.PRODUCER
    assert informative.deadline is None
    closed = one_case(ev(SKV, "e1", T(1), "SKV.MOMS.BESLUT", klart=True, kraver=True, deadline="2026-10-12"))
    assert closed.ball_holder is BallHolder.CLOSED
    assert closed.deadline is None
    no_date = one_case(ev(SKV, "e1", T(1), "SKV.MOMS.KOMPLETTERING_BEGARD", kraver=True))
    assert no_date.ball_holder is BallHolder.CUSTOMER
    assert no_date.deadline is None


# --- the overview's sections (portal.caselist over a real store) -----------------------

VATTENBRUK = situation("starta-vattenbruk", "LST.VATTENBRUK", "SKV.MOMS", "TANUM.MILJOFARLIG")
BYGGA = situation("bygga-hus", "TANUM.BYGGLOV", "SKV.MOMS")
FORALDER = situation("bli-foralder", "FK.FORALDRAPENNING")


class Sections:
    """The overview as ids: each listed case by its latest event's id (the last word of its title)."""

    def __init__(self, page):
        def ids(cases):
            return [c.latest.rubrik.split()[-1] for c in cases]
        self.page = page
        self.your_turn = ids(page.your_turn.cases)
        self.situations = [(s.situation.slug, ids(s.cases)) for s in page.situations]
        self.other = ids(page.other.cases)


def overview_of(tmp_path, events, situations) -> Sections:
    """Store the events (as the sync would) and read the overview the portal would show."""
    import dataclasses

    from portal import caselist
    from portal.filters import Filters
    from portal.store import Store, connect, ensure_schema
    from portal_builders import own_party, sync_config
    from testdb import test_database

    tmp_path.mkdir(parents=True, exist_ok=True)
    db = connect(test_database(tmp_path, "overview"))
    ensure_schema(db)
    store = Store(db)
    try:
        party = own_party()
        for slug in {e[0] for e in events}:
            store.upsert_events(party.identity.digits, slug, [e[2] for e in events if e[0] == slug])
        cfg = sync_config()
        extra = config_mod_producer("forsakringskassan", "Försäkringskassan", "2021005521")
        cfg = dataclasses.replace(cfg, producers=cfg.producers + (extra,), situations=tuple(situations))
        page = caselist.overview_page(store, cfg, party, Filters(), [p.slug for p in cfg.producers],
                                      handle_key="k", user_handle="u")
        return Sections(page)
    finally:
        store.close()


def config_mod_producer(slug, name, orgnr):
    from portal.config import ProducerConfig
    return ProducerConfig(slug, name, orgnr, f"http://127.0.0.1:8081/{slug}", api_key="k" * 32)


def test_your_turn_first_earliest_deadline_first_without_deadline_last(tmp_path):
    overview = overview_of(tmp_path, [
        ev(LST, "late", T(5), "LST.VATTENBRUK.KOMPLETTERING_BEGARD", arende="1", kraver=True, deadline="2026-10-30"),
        ev(TANUM, "none-new", T(8), "TANUM.BYGGLOV.KOMPLETTERING_BEGARD", arende="2", kraver=True),
        ev(SKV, "soon", T(1), "SKV.MOMS.KOMPLETTERING_BEGARD", kraver=True, deadline="2026-09-20"),
        ev(TANUM, "none-old", T(2), "TANUM.MILJOFARLIG.KOMPLETTERING_BEGARD", arende="3", kraver=True),
        ev(SKV, "agency", T(9), "SKV.FSKATT.MOTTAGEN"),
    ], (VATTENBRUK, BYGGA))
    assert overview.your_turn == ["soon", "late", "none-new", "none-old"]
    assert all(c.ball_holder is BallHolder.CUSTOMER for c in overview.page.your_turn.cases)


def test_your_turn_cases_are_not_repeated_in_situations_or_other(tmp_path):
    overview = overview_of(tmp_path, [
        ev(LST, "todo", T(5), "LST.VATTENBRUK.KOMPLETTERING_BEGARD", arende="1", kraver=True, deadline="2026-10-01"),
        ev(LST, "working", T(4), "LST.VATTENBRUK.MOTTAGEN", arende="2"),
        ev(FK, "x", T(3), "FK.VAB.KOMPLETTERING_BEGARD", kraver=True),
    ], (VATTENBRUK,))
    assert overview.your_turn == ["todo", "x"]
    assert overview.situations == [("starta-vattenbruk", ["working"])]
    assert overview.other == []


def test_situations_in_config_order_with_prefix_matching_and_the_rest_in_other(tmp_path):
    overview = overview_of(tmp_path, [
        ev(TANUM, "bygglov", T(6), "TANUM.BYGGLOV.MOTTAGEN", arende="BN-1"),
        ev(LST, "tillstand", T(5), "LST.VATTENBRUK.TILLSTAND.MOTTAGEN", arende="551-1"),  # a deeper case type
        ev(SKV, "momsx", T(4), "SKV.MOMSX.MOTTAGEN"),  # not under SKV.MOMS
        ev(LST, "strand", T(3), "LST.STRANDSKYDD.MOTTAGEN", arende="526-9"),
        ev(SKV, "fskatt", T(2), "SKV.FSKATT.BESLUT", klart=True),
    ], (VATTENBRUK, FORALDER, BYGGA))
    assert overview.your_turn == []
    # FORALDER matches nothing and is left out; the others keep the config order, not activity order.
    assert overview.situations == [("starta-vattenbruk", ["tillstand"]), ("bygga-hus", ["bygglov"])]
    assert overview.other == ["momsx", "strand", "fskatt"]
    assert not overview.page.is_empty


def test_a_case_in_two_situations_is_listed_only_under_the_first(tmp_path):
    events = [ev(SKV, "moms", T(1), "SKV.MOMS.BESLUT")]  # SKV.MOMS is in both situations
    first = overview_of(tmp_path / "a", events, (VATTENBRUK, BYGGA))
    assert first.situations == [("starta-vattenbruk", ["moms"])] and first.other == []
    swapped = overview_of(tmp_path / "b", events, (BYGGA, VATTENBRUK))
    assert swapped.situations == [("bygga-hus", ["moms"])]


def test_every_case_appears_exactly_once(tmp_path):
    overview = overview_of(tmp_path, [
        ev(LST, "a", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="1"),
        ev(LST, "b", T(2), "LST.VATTENBRUK.KOMPLETTERING_BEGARD", arende="2", kraver=True),
        ev(SKV, "c", T(3), "SKV.MOMS.BESLUT"),
        ev(TANUM, "d", T(4), "TANUM.BYGGLOV.MOTTAGEN", arende="3"),
        ev(TANUM, "e", T(5), "TANUM.OVRIGT.MOTTAGEN", arende="4"),
    ], (VATTENBRUK, BYGGA))
    listed = overview.your_turn + [i for _, ids in overview.situations for i in ids] + overview.other
    assert sorted(listed) == ["a", "b", "c", "d", "e"]
    assert overview.page.total == overview.page.shown_total == 5


def test_without_situations_everything_not_your_turn_is_other(tmp_path):
    overview = overview_of(tmp_path, [ev(LST, "a", T(1), "LST.VATTENBRUK.MOTTAGEN", arende="1")], ())
    assert overview.situations == [] and overview.other == ["a"]


def test_empty_overview(tmp_path):
    overview = overview_of(tmp_path, [], (VATTENBRUK,))
    assert overview.page.is_empty
    assert overview.your_turn == overview.situations == overview.other == []


# --- handles -------------------------------------------------------------------------


def test_case_handle_is_opaque():
    case = one_case(ev(TANUM, "e1", T(1), "TANUM.BYGGLOV.MOTTAGEN", arende="BN 2026-123"))
    handle = case.handle
    assert len(handle) == 20
    assert all(ch in "0123456789abcdef" for ch in handle)
    for leak in ("tanum", "TANUM", "BN", "2026", "123", "Diarienummer", "BYGGLOV"):
        assert leak not in handle


def test_case_handle_is_stable_and_distinguishes_cases():
    first = build_cases([ev(TANUM, "e1", T(1), "TANUM.BYGGLOV.MOTTAGEN", arende="BN-1")])[0]
    later = build_cases([
        ev(TANUM, "e1", T(1), "TANUM.BYGGLOV.MOTTAGEN", arende="BN-1"),
        ev(TANUM, "e2", T(2), "TANUM.BYGGLOV.BESLUT", arende="BN-1", klart=True),
    ])[0]
    assert first.handle == later.handle  # new events do not change the URL of the case
    assert first.handle == case_handle("tanum", first.key)
    assert case_handle("tanum", "Diarienummer:BN-1") != case_handle("tanum", "Diarienummer:BN-2")
    assert case_handle("tanum", "Diarienummer:BN-1") != case_handle("lansstyrelsen", "Diarienummer:BN-1")




def test_a_case_never_prints_its_handle_key_nor_what_it_is_made_of():
    from portal.case import Case, party_handle_key
    secret, digits = "app-secret-0123456789abcdef0123456789", "198504124564"
    key = party_handle_key(secret, digits)
    assert secret not in key and digits not in key
    case = Case("skatteverket", "Skatteverket", "SKV.MOMS", handle_key=key)
    assert key not in repr(case) and secret not in repr(case) and digits not in repr(case)
    # Still a per-party key: another party's handle for the same case differs.
    other = Case("skatteverket", "Skatteverket", "SKV.MOMS", handle_key=party_handle_key(secret, "199206202344"))
    assert case.handle != other.handle


def test_a_page_at_the_same_case_version_reads_no_case_rows_and_a_changed_case_shows_at_once(tmp_path):
    """The rows read for one page serve the next while the party's case version stays (issue 16); a new event
    in a shown case changes the version, and the next page shows the case as it is now."""
    from portal import caselist
    from portal.filters import Filters
    from portal.store import Store, connect, ensure_schema
    from portal_builders import own_party, sync_config
    from testdb import test_database

    db = connect(test_database(tmp_path, "kept"))
    ensure_schema(db)
    store = Store(db)
    statements: list[str] = []
    execute, read = db.execute, db._read  # every statement: writes and reads (rows/row/first)

    def logged(sql, *args, **kwargs):
        statements.append(sql)
        return execute(sql, *args, **kwargs)

    def logged_read(sql, *args, **kwargs):
        statements.append(sql)
        return read(sql, *args, **kwargs)

    try:
        party, cfg = own_party(), sync_config()
        digits = party.identity.digits

        def page():
            statements.clear()
            return Sections(caselist.overview_page(store, cfg, party, Filters(), [p.slug for p in cfg.producers],
                                                   handle_key="k", user_handle="u"))

        store.upsert_events(digits, "lansstyrelsen", [ev(LST, "first", T(1), "LST.STRANDSKYDD.MOTTAGEN",
                                                         arende="551-1")[2]])
        db.execute, db._read = logged, logged_read
        assert page().other == ["first"]
        assert any("join cases c" in s for s in statements)  # the shown rows, read once
        assert page().other == ["first"]
        assert not any("join cases c" in s for s in statements)  # the same version: nothing read again
        db.execute, db._read = execute, read
        store.upsert_events(digits, "lansstyrelsen", [ev(LST, "second", T(2), "LST.STRANDSKYDD.BESLUT",
                                                         arende="551-1", klart=True)[2]])
        db.execute, db._read = logged, logged_read
        changed = page()
        assert changed.other == ["second"]  # the case's latest event is the new one
        assert changed.page.other.cases[0].ball_holder is BallHolder.CLOSED
    finally:
        db.execute, db._read = execute, read
        store.close()


def test_a_case_handle_is_found_also_for_a_case_that_came_after_the_handles_were_made(tmp_path):
    """The handles of a party's cases are kept per case version (issue 16): a case that arrives later is found
    at once, and a case at an agency this basis may not see is not found at all."""
    from portal import caselist
    from portal.store import Store, connect, ensure_schema
    from portal_builders import own_party
    from testdb import test_database

    db = connect(test_database(tmp_path, "handles"))
    ensure_schema(db)
    store = Store(db)
    try:
        party = own_party()
        digits = party.identity.digits
        store.upsert_events(digits, "lansstyrelsen", [ev(LST, "a", T(1), "LST.STRANDSKYDD.MOTTAGEN", arende="1")[2]])
        first = case_handle("lansstyrelsen", "Diarienummer:1", "k")
        assert caselist.find_case_key(store, party, ["lansstyrelsen"], first, "k") == ("lansstyrelsen", "Diarienummer:1")
        store.upsert_events(digits, "tanum", [ev(TANUM, "b", T(2), "TANUM.BYGGLOV.MOTTAGEN", arende="2")[2]])
        later = case_handle("tanum", "Diarienummer:2", "k")
        assert caselist.find_case_key(store, party, ["lansstyrelsen", "tanum"], later, "k") == ("tanum", "Diarienummer:2")
        assert caselist.find_case_key(store, party, ["lansstyrelsen"], later, "k") is None  # tanum not visible
        assert caselist.find_case_key(store, party, ["lansstyrelsen", "tanum"], later, "other key") is None
        assert caselist.find_case_key(store, party, ["lansstyrelsen", "tanum"], "x" * 20, "k") is None
    finally:
        store.close()


def test_a_case_page_parses_its_events_once_per_case_version_and_a_changed_case_shows_at_once(tmp_path):
    """The case page's events are kept per case version (issue 16): opened again, the case is not read again; a
    new event, a corrected text and another party's or database's case are never served from what was kept."""
    from portal import caselist
    from portal.store import Store, connect, ensure_schema
    from portal_builders import own_party
    from testdb import test_database

    db = connect(test_database(tmp_path, "case-events"))
    ensure_schema(db)
    store = Store(db)
    reads = []
    real = store.case_events
    store.case_events = lambda *a: reads.append(a) or real(*a)
    try:
        party = own_party()
        digits = party.identity.digits
        handle = case_handle("lansstyrelsen", "Diarienummer:1", "k")

        def titles():
            return [s.event.rubrik for s in caselist.find_case_events(store, party, ["lansstyrelsen"], handle, "k")]

        store.upsert_events(digits, "lansstyrelsen",
                            [ev(LST, "a", T(1), "LST.STRANDSKYDD.MOTTAGEN", arende="1", rubrik="Mottagen")[2]])
        assert titles() == ["Mottagen"] and len(reads) == 1
        assert titles() == ["Mottagen"] and len(reads) == 1  # opened again: nothing read
        store.upsert_events(digits, "lansstyrelsen",
                            [ev(LST, "b", T(2), "LST.STRANDSKYDD.BESLUT", arende="1", rubrik="Beslut")[2]])
        assert titles() == ["Beslut", "Mottagen"] and len(reads) == 2
        store.upsert_events(digits, "lansstyrelsen",  # the agency corrects a text: the same event, new words
                            [ev(LST, "a", T(1), "LST.STRANDSKYDD.MOTTAGEN", arende="1", rubrik="Ansökan mottagen")[2]])
        assert titles() == ["Beslut", "Ansökan mottagen"] and len(reads) == 3
        assert caselist.find_case_events(store, party, ["tanum"], handle, "k") == []  # not visible: nothing
    finally:
        store.close()
