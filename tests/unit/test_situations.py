"""situations: step states from cases, parents from children, the next step, progress, customer cases, names."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from builders import make_event

from portal.config import SituationConfig, StepConfig
from portal.case import Case, build_cases
from portal.situations import (
    MAX_NAME,
    CustomerCase,
    StepState,
    build_steps,
    cases_state,
    clean_name,
    next_step,
    progress,
    situation_cases,
)
from portal.standard.ballholder import BallHolder
from portal.standard.models import Arende

LST = ("lansstyrelsen", "Länsstyrelsen Västra Götaland")
SKV = ("skatteverket", "Skatteverket")
BV = ("bolagsverket", "Bolagsverket")
TANUM = ("tanum", "Tanums kommun")

NS, HANDLING, YOUR_TURN, DONE = StepState.NOT_STARTED, StepState.HANDLING, StepState.YOUR_TURN, StepState.DONE


def T(day: int, hour: int = 10, month: int = 9) -> str:
    return f"2026-{month:02d}-{day:02d}T{hour:02d}:00:00+02:00"


_ids = itertools.count(1)


def ev(producer, typ: str, *, arende: str, when: str = T(1), holder: str = "producer", id_: str | None = None,
       deadline: str | None = None):
    """A ``(slug, name, event)`` triple; ``holder`` is the ball holder after the event."""
    event = make_event(
        id_ or f"e{next(_ids)}",
        arende=Arende(arende, "Diarienummer"),
        tidpunkt=when,
        typ=typ,
        kraver=holder == "customer",
        klart=holder == "closed",
        rubrik=f"{typ} {arende}",
        utokad={"senastDatum": deadline} if deadline else None,
    )
    return (producer[0], producer[1], event)


def case(holder: str, typ: str = "LST.VATTENBRUK.MOTTAGEN", producer=LST, arende: str | None = None,
         when: str = T(1)) -> Case:
    """One case whose latest event leaves the ball with ``holder``."""
    arende = arende or f"ref-{next(_ids)}"
    cases = build_cases([ev(producer, typ, arende=arende, when=when, holder=holder)])
    assert len(cases) == 1
    return cases[0]


def step(key: str, *case_types: str, parent: str = "", optional: bool = False) -> StepConfig:
    return StepConfig(key, f"Steg {key}", f"Step {key}", tuple(case_types), optional=optional, parent=parent)


def situation(*steps: StepConfig, case_types=("ZZZ.NOTHING",)) -> SituationConfig:
    return SituationConfig("s", "Situation", "Situation", tuple(case_types), tuple(steps))


def by_key(views) -> dict:
    """Every step view of a tree, by key."""
    out = {}
    for v in views:
        out[v.step.key] = v
        out.update(by_key(v.children))
    return out


def states(views) -> dict[str, StepState]:
    return {k: v.state for k, v in by_key(views).items()}


def marked_next(views) -> list[str]:
    return [k for k, v in by_key(views).items() if v.is_next]


# --- cases_state ------------------------------------------------------------------------


def test_no_cases_is_not_started():
    assert cases_state([]) is NS


@pytest.mark.parametrize("holders", [
    combo for n in (1, 2, 3) for combo in itertools.combinations_with_replacement(["customer", "producer", "closed"], n)
], ids=lambda h: "+".join(h))
def test_cases_state_for_every_combination_of_ball_holders(holders):
    """Any case with the customer -> your turn; else any with the agency -> handling; else (all closed) done."""
    cases = [case(h) for h in holders]
    if "customer" in holders:
        expected = YOUR_TURN
    elif "producer" in holders:
        expected = HANDLING
    else:
        expected = DONE
    assert cases_state(cases) is expected
    assert cases_state(list(reversed(cases))) is expected  # order does not matter


def test_a_case_state_follows_its_latest_event_only():
    """Asked for a document, then the agency got it: handling, not your turn."""
    cases = build_cases([
        ev(LST, "LST.STRANDSKYDD.KOMPLETTERING", arende="1", when=T(1), holder="customer"),
        ev(LST, "LST.STRANDSKYDD.KOMPLETTERING_MOTTAGEN", arende="1", when=T(5), holder="producer"),
    ])
    assert cases_state(cases) is HANDLING


# --- build_steps: leaves -------------------------------------------------------------------


def test_leaf_steps_take_the_state_of_their_cases_by_case_type_prefix():
    sit = situation(step("a", "LST.STRANDSKYDD"), step("b", "SKV.MOMS"), step("c", "TANUM.MILJOFARLIG"),
                    step("d", "SJV.STATISTIK"))
    cases = build_cases([
        ev(LST, "LST.STRANDSKYDD.KOMPLETTERING", arende="1", holder="customer"),
        ev(SKV, "SKV.MOMS.MOTTAGEN", arende="2", holder="producer"),
        ev(TANUM, "TANUM.MILJOFARLIG.BESLUT", arende="3", holder="closed"),
        ev(SKV, "SKV.MOMSX.MOTTAGEN", arende="4", holder="customer"),  # not SKV.MOMS: segment boundary
    ])
    views = build_steps(sit, cases)
    assert states(views) == {"a": YOUR_TURN, "b": HANDLING, "c": DONE, "d": NS}
    assert [c.reference for c in by_key(views)["b"].cases] == ["2"]
    assert by_key(views)["d"].cases == []


def test_a_step_with_several_case_types_combines_their_cases():
    sit = situation(step("strand", "LST.STRANDSKYDD", "TANUM.STRANDSKYDD"))
    cases = build_cases([
        ev(LST, "LST.STRANDSKYDD.BESLUT", arende="1", holder="closed"),
        ev(TANUM, "TANUM.STRANDSKYDD.MOTTAGEN", arende="2", holder="producer"),
    ])
    view = build_steps(sit, cases)[0]
    assert view.state is HANDLING
    assert {c.producer for c in view.cases} == {"lansstyrelsen", "tanum"}


def test_top_level_steps_keep_config_order_and_children_nest_under_their_parent():
    sit = situation(step("b", "B.B"), step("a", "A.A"), step("a1", "A.A1", parent="a"), step("c", "C.C"),
                    step("a2", "A.A2", parent="a"))
    views = build_steps(sit, [])
    assert [v.step.key for v in views] == ["b", "a", "c"]
    assert [c.step.key for c in views[1].children] == ["a1", "a2"]


# --- build_steps: parents combine their children -------------------------------------------


def parent_situation(child_optional=(False, False)) -> SituationConfig:
    return situation(
        step("p", "P.OWN", "P.ONE", "P.TWO"),
        step("one", "P.ONE", parent="p", optional=child_optional[0]),
        step("two", "P.TWO", parent="p", optional=child_optional[1]),
    )


def parent_state(sit, *holders_by_type) -> StepState:
    events = [ev(LST, f"{typ}.X", arende=f"r-{typ}", holder=h) for typ, h in holders_by_type]
    return states(build_steps(sit, build_cases(events)))["p"]


@pytest.mark.parametrize(("one", "two", "expected"), [
    ("closed", "closed", DONE),
    ("closed", "producer", HANDLING),
    ("producer", "producer", HANDLING),
    ("closed", "customer", YOUR_TURN),
    ("producer", "customer", YOUR_TURN),
    ("customer", "customer", YOUR_TURN),
    ("closed", None, HANDLING),  # begun, not finished: the second required child is not started
    (None, "customer", YOUR_TURN),
    (None, "producer", HANDLING),
])
def test_a_parent_combines_its_required_children(one, two, expected):
    holders = [(t, h) for t, h in (("P.ONE", one), ("P.TWO", two)) if h is not None]
    assert parent_state(parent_situation(), *holders) is expected


def test_an_optional_child_not_started_does_not_block_done():
    sit = parent_situation(child_optional=(False, True))
    assert parent_state(sit, ("P.ONE", "closed")) is DONE


@pytest.mark.parametrize(("holder", "expected"), [("producer", HANDLING), ("customer", YOUR_TURN), ("closed", DONE)])
def test_an_optional_child_once_started_counts(holder, expected):
    sit = parent_situation(child_optional=(False, True))
    assert parent_state(sit, ("P.ONE", "closed"), ("P.TWO", holder)) is expected


def test_the_parents_own_cases_count_too():
    """A case of the parent's types that no child covers is the parent's own."""
    sit = parent_situation(child_optional=(False, True))
    assert parent_state(sit, ("P.ONE", "closed"), ("P.OWN", "customer")) is YOUR_TURN
    assert parent_state(sit, ("P.ONE", "closed"), ("P.OWN", "producer")) is HANDLING
    assert parent_state(sit, ("P.ONE", "closed"), ("P.OWN", "closed")) is DONE


def test_a_parents_own_case_with_an_optional_child_not_started_is_done_when_closed():
    """The aquaculture permit: decided, and no release permit applied for (optional) -> done."""
    sit = situation(step("tillstand", "LST.VATTENBRUK"), step("utsattning", "LST.UTSATTNING", parent="tillstand",
                                                               optional=True))
    cases = build_cases([ev(LST, "LST.VATTENBRUK.TILLSTAND.BESLUT", arende="1", holder="closed")])
    assert states(build_steps(sit, cases)) == {"tillstand": DONE, "utsattning": NS}


def test_a_child_case_is_not_also_the_parents_own():
    """The parent's prefixes cover its children's types; those cases belong to the child, not the parent itself."""
    sit = situation(step("foretag", "BV.AKTIEBOLAG", "SKV.FSKATT"), step("bolag", "BV.AKTIEBOLAG", parent="foretag"),
                    step("fskatt", "SKV.FSKATT", parent="foretag"))
    cases = build_cases([ev(BV, "BV.AKTIEBOLAG.REGISTRERAD", arende="1", holder="closed"),
                         ev(SKV, "SKV.FSKATT.BESLUT", arende="2", holder="closed")])
    views = build_steps(sit, cases)
    assert states(views) == {"foretag": DONE, "bolag": DONE, "fskatt": DONE}
    assert len(by_key(views)["foretag"].cases) == 2  # the parent still lists every case under it


def test_grandchildren_combine_upwards():
    sit = situation(step("a", "A.A"), step("b", "A.A.B", parent="a"), step("c", "A.A.B.C", parent="b"))
    cases = build_cases([ev(LST, "A.A.B.C.X", arende="1", holder="customer")])
    assert states(build_steps(sit, cases)) == {"a": YOUR_TURN, "b": YOUR_TURN, "c": YOUR_TURN}


def test_a_parent_with_nothing_started_is_not_started():
    assert parent_state(parent_situation()) is NS


def test_a_parent_with_only_an_optional_child_and_no_cases_is_not_started():
    sit = situation(step("tillstand", "LST.VATTENBRUK"), step("utsattning", "LST.UTSATTNING", parent="tillstand",
                                                               optional=True))
    views = build_steps(sit, [])
    assert states(views)["tillstand"] is NS
    assert progress(views) == (0, 1)


# --- next step ------------------------------------------------------------------------------


def test_next_step_is_the_first_your_turn_leaf_even_after_a_not_started_one():
    sit = situation(step("a", "A.A"), step("b", "B.B"), step("c", "C.C"), step("d", "D.D"))
    cases = build_cases([ev(LST, "B.B.X", arende="1", holder="producer"),
                         ev(LST, "C.C.X", arende="2", holder="customer"),
                         ev(LST, "D.D.X", arende="3", holder="customer")])
    views = build_steps(sit, cases)
    assert next_step(list(by_key(views).values())).step.key == "c"
    assert marked_next(views) == ["c"]


def test_without_your_turn_the_next_step_is_the_first_required_not_started_leaf():
    sit = situation(step("a", "A.A"), step("opt", "O.O", optional=True), step("b", "B.B"), step("c", "C.C"))
    cases = build_cases([ev(LST, "A.A.X", arende="1", holder="closed")])
    views = build_steps(sit, cases)
    assert marked_next(views) == ["b"]  # the optional one is skipped


def test_the_next_step_is_a_leaf_never_a_parent():
    sit = situation(step("p", "P.P"), step("c1", "P.P.ONE", parent="p"), step("c2", "P.P.TWO", parent="p"))
    views = build_steps(sit, build_cases([ev(LST, "P.P.ONE.X", arende="1", holder="closed")]))
    assert marked_next(views) == ["c2"]
    views = build_steps(sit, build_cases([ev(LST, "P.P.TWO.X", arende="1", holder="customer")]))
    assert marked_next(views) == ["c2"]


def test_a_your_turn_child_under_a_later_parent_beats_a_not_started_earlier_step():
    sit = situation(step("a", "A.A"), step("p", "P.P"), step("c", "P.P.C", parent="p"))
    views = build_steps(sit, build_cases([ev(LST, "P.P.C.X", arende="1", holder="customer")]))
    assert marked_next(views) == ["c"]


def test_no_next_step_when_nothing_waits_for_the_customer_and_all_required_steps_began():
    sit = situation(step("a", "A.A"), step("b", "B.B"), step("opt", "O.O", optional=True))
    views = build_steps(sit, build_cases([ev(LST, "A.A.X", arende="1", holder="closed"),
                                          ev(LST, "B.B.X", arende="2", holder="producer")]))
    assert marked_next(views) == []
    assert next_step(list(by_key(views).values())) is None


def test_next_step_of_an_empty_list_is_none():
    assert next_step([]) is None


def test_at_most_one_step_is_marked_next():
    sit = situation(step("a", "A.A"), step("b", "B.B"), step("c", "C.C"))
    views = build_steps(sit, build_cases([ev(LST, f"{t}.X", arende=t, holder="customer")
                                          for t in ("A.A", "B.B", "C.C")]))
    assert marked_next(views) == ["a"]


# --- progress ---------------------------------------------------------------------------------


def test_progress_counts_required_top_level_steps_only():
    sit = situation(
        step("a", "A.A"),
        step("a1", "A.A.ONE", parent="a"),
        step("b", "B.B"),
        step("opt", "O.O", optional=True),
        step("c", "C.C"),
    )
    cases = build_cases([ev(LST, "A.A.ONE.X", arende="1", holder="closed"),
                         ev(LST, "O.O.X", arende="2", holder="closed"),
                         ev(LST, "C.C.X", arende="3", holder="producer")])
    views = build_steps(sit, cases)
    assert states(views) == {"a": DONE, "a1": DONE, "b": NS, "opt": DONE, "c": HANDLING}
    assert progress(views) == (1, 3)  # a done; b, c not; opt and the child a1 are not counted


def test_progress_of_everything_done():
    sit = situation(step("a", "A.A"), step("b", "B.B"))
    views = build_steps(sit, build_cases([ev(LST, "A.A.X", arende="1", holder="closed"),
                                          ev(LST, "B.B.X", arende="2", holder="closed")]))
    assert progress(views) == (2, 2)
    assert marked_next(views) == []


def test_progress_of_no_steps():
    assert progress([]) == (0, 0)


# --- situation_cases ----------------------------------------------------------------------------


def test_situation_cases_take_the_situations_and_its_steps_case_types():
    sit = situation(step("a", "LST.STRANDSKYDD"), case_types=("SKV.MOMS",))
    cases = build_cases([
        ev(SKV, "SKV.MOMS.MOTTAGEN", arende="1"),
        ev(LST, "LST.STRANDSKYDD.MOTTAGEN", arende="2"),
        ev(SKV, "SKV.MOMSX.MOTTAGEN", arende="3"),
        ev(SKV, "SKV.FSKATT.MOTTAGEN", arende="4"),
        ev(LST, "LST.STRANDSKYDDX.MOTTAGEN", arende="5"),
    ])
    assert sorted(c.reference for c in situation_cases(sit, cases)) == ["1", "2"]


def test_situation_cases_without_steps_use_the_situations_types():
    sit = SituationConfig("s", "S", "S", ("FK.VAB",))
    cases = build_cases([ev(LST, "FK.VAB.MOTTAGEN", arende="1"), ev(LST, "FK.BARNBIDRAG.X", arende="2")])
    assert [c.reference for c in situation_cases(sit, cases)] == ["1"]


def test_situation_cases_of_no_cases():
    assert situation_cases(situation(step("a", "A.A")), []) == []


# --- CustomerCase (kundärende) -------------------------------------------------------------------


def whole(*events) -> CustomerCase:
    return CustomerCase(build_cases(list(events)))


def test_timeline_holds_every_event_of_every_case_newest_first():
    cc = whole(
        ev(LST, "LST.STRANDSKYDD.MOTTAGEN", arende="1", when=T(1), id_="l1"),
        ev(SKV, "SKV.MOMS.MOTTAGEN", arende="2", when=T(3), id_="s1"),
        ev(LST, "LST.STRANDSKYDD.KOMPLETTERING", arende="1", when=T(5), holder="customer", id_="l2"),
        ev(BV, "BV.AKTIEBOLAG.MOTTAGEN", arende="3", when=T(2), id_="b1"),
        ev(SKV, "SKV.MOMS.BESLUT", arende="2", when=T(4), holder="closed", id_="s2"),
    )
    assert [e.kundhandelse_id for _, e in cc.timeline] == ["l2", "s2", "s1", "b1", "l1"]
    assert [c.producer for c, _ in cc.timeline] == ["lansstyrelsen", "skatteverket", "skatteverket", "bolagsverket",
                                                    "lansstyrelsen"]
    times = [e.tidpunkt for _, e in cc.timeline]
    assert times == sorted(times, reverse=True)


def test_timeline_ties_are_stable():
    cc = whole(ev(LST, "A.A.X", arende="1", when=T(1), id_="a"), ev(SKV, "B.B.X", arende="2", when=T(1), id_="b"))
    assert [e.kundhandelse_id for _, e in cc.timeline] == ["b", "a"]


def test_started_is_the_earliest_first_event():
    cc = whole(ev(LST, "A.A.X", arende="1", when=T(10)), ev(LST, "A.A.Y", arende="1", when=T(12)),
               ev(SKV, "B.B.X", arende="2", when=T(3)), ev(SKV, "B.B.Y", arende="2", when=T(20)))
    assert cc.started == dt.datetime.fromisoformat(T(3))


def test_finished_only_when_every_case_is_closed():
    open_one = whole(ev(LST, "A.A.X", arende="1", when=T(1), holder="closed"),
                     ev(SKV, "B.B.X", arende="2", when=T(2), holder="producer"))
    assert open_one.finished is None
    waiting = whole(ev(LST, "A.A.X", arende="1", when=T(1), holder="closed"),
                    ev(SKV, "B.B.X", arende="2", when=T(2), holder="customer"))
    assert waiting.finished is None
    done = whole(ev(LST, "A.A.X", arende="1", when=T(1), holder="closed"),
                 ev(SKV, "B.B.X", arende="2", when=T(2), holder="producer"),
                 ev(SKV, "B.B.Y", arende="2", when=T(7), holder="closed"),
                 ev(BV, "C.C.X", arende="3", when=T(4), holder="closed"))
    assert done.finished == dt.datetime.fromisoformat(T(7))  # when the last case closed


def test_an_empty_customer_case():
    cc = CustomerCase([])
    assert cc.timeline == []
    assert cc.started is None
    assert cc.finished is None
    assert cc.producers == []


def test_producers_are_named_once_in_order():
    cc = whole(ev(SKV, "B.B.X", arende="2"), ev(LST, "A.A.X", arende="1"), ev(SKV, "B.B.Y", arende="3"),
               ev(BV, "C.C.X", arende="4"))
    assert cc.producers == ["Bolagsverket", "Länsstyrelsen Västra Götaland", "Skatteverket"]


@pytest.mark.parametrize(("holders", "expected"), [
    (("closed", "producer", "customer"), BallHolder.CUSTOMER),
    (("customer",), BallHolder.CUSTOMER),
    (("producer", "closed"), BallHolder.PRODUCER),
    (("producer", "producer"), BallHolder.PRODUCER),
    (("closed", "closed"), BallHolder.CLOSED),
])
def test_the_ball_is_with_the_customer_first_then_the_agency(holders, expected):
    cc = CustomerCase([case(h) for h in holders])
    assert cc.ball_holder is expected


# --- clean_name ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "kept"), [
    ("Flytta verksamheten", "Flytta verksamheten"),
    ("  Flytta   till\tGöteborg \n", "Flytta till Göteborg"),
    ("Å", "Å"),
    ("x" * MAX_NAME, "x" * MAX_NAME),
    ("  " + "y" * MAX_NAME + "  ", "y" * MAX_NAME),  # the limit is on the tidied name
    ("Bygget <b>&</b>", "Bygget <b>&</b>"),  # escaped when shown, not refused
])
def test_clean_name_tidies_whitespace(typed, kept):
    assert clean_name(typed) == kept


@pytest.mark.parametrize("typed", ["", "   ", "\t\n", None, "x" * (MAX_NAME + 1), "a\x00b", "Namn\x07", "\x1b[31m"],
                         ids=["empty", "spaces", "whitespace", "none", "81-chars", "nul", "bell", "escape"])
def test_clean_name_refuses(typed):
    assert clean_name(typed) is None


def test_max_name_is_80():
    assert MAX_NAME == 80


@pytest.mark.parametrize("typed", ["Namn\x7f", "Namn\x9b"], ids=["del", "c1"])
def test_clean_name_refuses_every_control_character(typed):
    assert clean_name(typed) is None
