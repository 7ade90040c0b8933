"""Situations and customer cases: where a customer stands across agencies. Pure functions.

A configured situation lists expected steps (case-type prefixes, optional
parents, optional steps). Each step's state follows from the acting party's
cases of those types: not started, the agency is handling it, your turn, done.
The next step is the first one waiting for the customer, else the first
required step not yet started. A customer case (kundärende) is the whole: the
cases of several producers with one combined timeline, a start and an end.
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
from dataclasses import dataclass, field

from portal.config import SituationConfig, StepConfig
from portal.case import Case
from portal.standard.ballholder import BallHolder
from portal.standard.eventtypes import matches_any
from portal.standard.models import Event


class StepState(str, enum.Enum):
    NOT_STARTED = "not_started"
    HANDLING = "handling"
    YOUR_TURN = "your_turn"
    DONE = "done"


@dataclass
class StepView:
    step: StepConfig
    state: StepState
    cases: list[Case] = field(default_factory=list)
    children: list["StepView"] = field(default_factory=list)
    is_next: bool = False
    own_cases: list[Case] = field(default_factory=list)  # its cases that no sub-step claims (shown on the step)

    @property
    def deadline(self):
        """The earliest deadline among the step's own cases waiting for the customer."""
        return min((c.deadline for c in self.own_cases if c.deadline), default=None)


def cases_state(cases: list[Case]) -> StepState:
    """The state a set of cases gives a step."""
    if not cases:
        return StepState.NOT_STARTED
    holders = {c.ball_holder for c in cases}
    if BallHolder.CUSTOMER in holders:
        return StepState.YOUR_TURN
    if BallHolder.PRODUCER in holders:
        return StepState.HANDLING
    return StepState.DONE


def _combine(own: StepState | None, children: list[StepView]) -> StepState:
    """A parent step: your turn if anything under it is; done when it and every required child are done.

    ``own`` is None when no case belongs to the parent itself; optional children count only once begun.
    """
    states = ([own] if own is not None else []) + [
        c.state for c in children if not (c.step.optional and c.state is StepState.NOT_STARTED)]
    if not states:
        return StepState.NOT_STARTED
    if StepState.YOUR_TURN in states:
        return StepState.YOUR_TURN
    if StepState.HANDLING in states:
        return StepState.HANDLING
    if all(s is StepState.DONE for s in states):
        return StepState.DONE
    if any(s is StepState.DONE for s in states):
        return StepState.HANDLING  # begun, not finished: the next part is not started yet
    return StepState.NOT_STARTED


def applies(situation: SituationConfig, case_types) -> bool:
    """True when a party with cases of these (latest) types is in the situation: it has a defining case."""
    return any(matches_any(t, situation.defining) for t in case_types)


def build_steps(situation: SituationConfig, cases: list[Case]) -> list[StepView]:
    """The situation's steps as a tree (top level in config order), each with its state and cases.

    A party not in the situation (``applies``) has no case in any step.
    """
    if not applies(situation, [c.latest.typ for c in cases]):
        cases = []
    views: dict[str, StepView] = {}
    top: list[StepView] = []
    for step in situation.steps:
        members = [c for c in cases if matches_any(c.latest.typ, step.case_types)]
        view = StepView(step, cases_state(members), members, own_cases=members)
        views[step.key] = view
        (views[step.parent].children if step.parent else top).append(view)
    for view in reversed(list(views.values())):  # children before parents
        if view.children:
            own_cases = [c for c in view.cases if not any(c in ch.cases for ch in view.children)]
            view.own_cases = own_cases
            view.state = _combine(cases_state(own_cases) if own_cases else None, view.children)
    nxt = next_step(list(views.values()))
    if nxt is not None:
        nxt.is_next = True
    return top


def next_step(views: list[StepView]) -> StepView | None:
    """The first step waiting for the customer; else the first required step not yet started."""
    leaves = [v for v in views if not v.children]
    waiting = next((v for v in leaves if v.state is StepState.YOUR_TURN), None)
    if waiting is not None:
        return waiting
    return next((v for v in leaves if v.state is StepState.NOT_STARTED and not v.step.optional), None)


def progress(steps: list[StepView]) -> tuple[int, int]:
    """(done, total) over required top-level steps."""
    required = [v for v in steps if not v.step.optional]
    return sum(1 for v in required if v.state is StepState.DONE), len(required)


def situation_cases(situation: SituationConfig, cases: list[Case]) -> list[Case]:
    """Every case that belongs to a situation (by its own or its steps' case types); none when it does not apply."""
    if not applies(situation, [c.latest.typ for c in cases]):
        return []
    prefixes = tuple(situation.case_types) + tuple(p for s in situation.steps for p in s.case_types)
    return [c for c in cases if matches_any(c.latest.typ, prefixes)]


@dataclass
class CustomerCase:
    """Several producers' cases as one whole (kundärende)."""

    cases: list[Case]

    @property
    def timeline(self) -> list[tuple[Case, Event]]:
        """Every event of every case, newest first."""
        pairs = [(c, e) for c in self.cases for e in c.events]
        return sorted(pairs, key=lambda p: (p[1].tidpunkt, p[1].kundhandelse_id), reverse=True)

    @property
    def started(self) -> dt.datetime | None:
        return min((c.first.tidpunkt for c in self.cases), default=None)

    @property
    def finished(self) -> dt.datetime | None:
        """When the last case closed, if every case is closed."""
        if not self.cases or any(c.ball_holder is not BallHolder.CLOSED for c in self.cases):
            return None
        return max(c.latest.tidpunkt for c in self.cases)

    @property
    def producers(self) -> list[str]:
        return sorted({c.producer_name for c in self.cases})

    @property
    def ball_holder(self) -> BallHolder:
        holders = {c.ball_holder for c in self.cases}
        for holder in (BallHolder.CUSTOMER, BallHolder.PRODUCER):
            if holder in holders:
                return holder
        return BallHolder.CLOSED


MAX_NAME = 80


def clean_name(value: str) -> str | None:
    """A situation name as typed, tidied; None when empty, too long or with control characters."""
    name = " ".join((value or "").split())
    if not name or len(name) > MAX_NAME or any(unicodedata.category(ch) == "Cc" for ch in name):
        return None
    return name
