"""The fan-out's bulkhead: one producer whose calls never end cannot take the pool from the others."""

from __future__ import annotations

import threading
import time

from portal import fanout
from portal.producers import FetchResult


def test_a_stuck_producer_keeps_to_its_share_and_a_healthy_one_still_answers():
    release = threading.Event()
    stuck = []

    def hanging():
        release.wait(60)
        return FetchResult()

    try:
        # More stuck calls than the whole pool has threads, as forty people opening pages would make.
        for _ in range(fanout.POOL_SIZE + 8):
            outcome = fanout.fan_out({"stuck-agency": hanging}, 0.01, late=stuck.append, per_producer=4)
            assert outcome["stuck-agency"].failure in ("pending", "busy")
        healthy = fanout.fan_out({"healthy-agency": lambda: FetchResult(pages=1)}, 30, per_producer=4)
        assert healthy["healthy-agency"].failure is None
        assert healthy["healthy-agency"].result.pages == 1
    finally:
        release.set()


def test_calls_beyond_the_queue_are_refused_as_busy_at_once():
    release = threading.Event()
    try:
        outcomes = [fanout.fan_out({"busy-agency": lambda: release.wait(60) or FetchResult()}, 0.01,
                                   late=lambda o: None, per_producer=1)["busy-agency"]
                    for _ in range(1 + fanout.QUEUE_PER_SLOT + 3)]
        assert [o.failure for o in outcomes].count("busy") == 3
        assert all(o.failure == "pending" for o in outcomes[:1 + fanout.QUEUE_PER_SLOT])
    finally:
        release.set()


def test_an_answer_that_comes_while_another_is_handled_is_stored_later_not_in_the_callers_thread():
    """Past the page deadline, an answer that finished meanwhile goes to ``late`` in another thread."""
    caller = threading.current_thread()
    handled = threading.Event()
    late_threads, done = [], threading.Event()

    def each(outcome):
        handled.set()
        # Slow work on the first answer: the second one finishes meanwhile and the deadline passes.
        second_finished.wait(30)
        time.sleep(0.2)

    second_finished = threading.Event()

    def second():
        handled.wait(30)
        second_finished.set()
        return FetchResult()

    def late(outcome):
        late_threads.append(threading.current_thread())
        done.set()

    outcomes = fanout.fan_out({"first-agency": lambda: FetchResult(), "second-agency": second}, 0.05, late,
                              each=each)
    assert outcomes["second-agency"].failure == "pending"
    assert done.wait(30)
    assert late_threads and late_threads[0] is not caller


def test_answers_that_come_one_right_after_another_are_handed_over_together():
    """Each task finishes just after the one before it (it waits for it): one hand-over for all, not one each."""
    lists = []
    finished = [threading.Event() for _ in range(4)]

    def task(n):
        def run():
            if n:
                finished[n - 1].wait(30)
            finished[n].set()
            return FetchResult(pages=n)
        return run

    outcomes = fanout.fan_out({f"agency-{n}": task(n) for n in range(4)}, 60, each=lists.append,
                              gather_s=5, gather_max_s=30)
    assert [sorted(o.slug for o in group) for group in lists] == [[f"agency-{n}" for n in range(4)]]
    assert {slug: o.result.pages for slug, o in outcomes.items()} == {f"agency-{n}": n for n in range(4)}


def test_an_answer_that_comes_later_than_the_gathering_allows_is_handed_over_on_its_own():
    """The first answer is not held for a slow agency: it is handed over once nothing more came for ``gather_s``,
    while the slow one is still out (it waits until the first list has been handed over)."""
    lists = []
    first_handed = threading.Event()

    def each(group):
        lists.append(sorted(o.slug for o in group))
        first_handed.set()

    def slow():
        assert first_handed.wait(30)
        return FetchResult()

    t0 = time.monotonic()
    fanout.fan_out({"quick-agency": lambda: FetchResult(), "slow-agency": slow}, 60, each=each,
                   gather_s=0.01, gather_max_s=30)
    assert lists == [["quick-agency"], ["slow-agency"]]
    assert time.monotonic() - t0 < 20  # not held until the cap


def test_the_first_answers_are_handed_over_at_the_cap_however_long_gather_s_would_wait():
    """``gather_max_s`` bounds how long the first answers are held for more, whatever ``gather_s`` allows."""
    lists = []
    first_handed = threading.Event()

    def each(group):
        lists.append(sorted(o.slug for o in group))
        first_handed.set()

    def trickle():  # answers only once the first list has been handed over
        assert first_handed.wait(60)
        return FetchResult()

    tasks = {"first-agency": lambda: FetchResult(), "last-agency": trickle}
    t0 = time.monotonic()
    fanout.fan_out(tasks, 60, each=each, gather_s=30, gather_max_s=0.05)
    assert lists[0] == ["first-agency"] and lists[-1] == ["last-agency"]
    assert time.monotonic() - t0 < 30  # handed over at the cap, not after gather_s
