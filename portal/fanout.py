"""Ask every producer at once: a shared thread pool, a bulkhead per producer and deadlines.

The page waits for the slowest producer at most, never the sum of them; a
producer that misses the total deadline is reported as timed out while its
request finishes (and is discarded) in the background.

Two bounds keep one misbehaving agency from starving everyone (a producer trickling
its answer a byte at a time never trips a per-read timeout):

- a **bulkhead**: at most ``per_producer`` calls to one producer run at once, in all
  of this process; the rest wait in that producer's own queue, which holds no pool
  thread, and beyond a bounded queue a call fails at once as ``busy``;
- a **deadline per fetch** (``fetch_deadline_s``): every outbound call of the task ends
  by then (:func:`portal.outbound.deadline`), so a slot is never held for longer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable

from portal import outbound
from portal.producers import FetchResult, ProducerFailed

POOL_SIZE = 32
DEFAULT_PER_PRODUCER = 4  # 8 producers x 4 = the pool: no producer can take another's share
QUEUE_PER_SLOT = 8  # calls that may wait per running slot before a producer is reported busy
_pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="fanout")
# Late answers are handed to these threads: a future that finished while the caller was busy with another answer
# would otherwise run its callback at once in the caller's thread, and the page would wait for it to be stored.
_late_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fanout-late")


# Long answers are stored one at a time: each write step holds SQLite's lock, and every page view writes its audit
# row, so several imports at once would keep pages waiting for the lock.
_import_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fanout-import")


def in_background(fn: Callable, *args, long: bool = False) -> Future:
    """Run ``fn(*args)`` in the late-answer threads (work a page must not wait for); ``long`` ones one at a time."""
    return (_import_pool if long else _late_pool).submit(fn, *args)


@dataclass
class _Bulkhead:
    running: int = 0
    waiting: deque = field(default_factory=deque)


_bulkheads: dict[str, _Bulkhead] = {}
_bulkheads_lock = threading.Lock()


@dataclass
class Outcome:
    """One producer's part of a fan-out: a result, or why there is none."""

    slug: str
    result: FetchResult | None = None
    failure: str | None = None  # ProducerFailed.reason, or "deadline"
    detail: str = ""
    seconds: float = 0.0


def fan_out(tasks: dict[str, Callable[[], FetchResult]], deadline_s: float,
            late: Callable[[Outcome], None] | None = None,
            each: Callable[[list[Outcome]], None] | None = None, *,
            per_producer: int = DEFAULT_PER_PRODUCER, fetch_deadline_s: float | None = None,
            meanwhile: Callable[[], None] | None = None, gather_s: float | None = None,
            gather_max_s: float | None = None) -> dict[str, Outcome]:
    """Run each task concurrently; collect what finished within ``deadline_s``.

    Tasks are keyed by producer slug, which is also their bulkhead: at most
    ``per_producer`` run at once per producer; each ends within ``fetch_deadline_s``
    (default ``deadline_s``) once started.

    A task still running at the deadline is reported as ``pending`` when ``late`` is
    given, and ``late`` receives its outcome when it finishes (in a pool thread, so it
    must open its own database connection); without ``late`` it is reported as
    ``deadline`` and its result is dropped. ``each`` is called in the caller's thread with
    the outcomes that arrived in time, as they arrive: those that arrived together (or while
    the caller was busy with the ones before) in one list, so the caller can store them in
    one go. An answer that comes within ``gather_s`` of the one before it (and within
    ``gather_max_s`` of the first of the list) joins the list: see :data:`GATHER_S`.
    ``meanwhile`` runs in the caller's thread once every task is on its way: work
    the caller wants done while it waits, started after the questions so it does not delay them.
    """
    gather_s = GATHER_S if gather_s is None else gather_s
    gather_max_s = GATHER_MAX_S if gather_max_s is None else gather_max_s
    started = time.monotonic()
    fetch_deadline_s = deadline_s if fetch_deadline_s is None else fetch_deadline_s
    out = _Countdown(len(tasks))
    futures: dict[Future, str] = {}
    for slug, task in tasks.items():
        futures[_submit(slug, task, max(per_producer, 1), fetch_deadline_s, out.one())] = slug
    if meanwhile is not None:
        # The questions go first: the caller's other work (its own calls, with their own CPU) waits until every
        # task has sent its first request, ended, or been queued, or MEANWHILE_AFTER_S has passed.
        out.done.wait(MEANWHILE_AFTER_S)
        meanwhile()
    outcomes: dict[str, Outcome] = {}
    # Answers are handed over as they come, so the caller's work on them overlaps the wait for the slowest.
    waiting = set(futures)
    while waiting:
        left = started + deadline_s - time.monotonic()
        if left <= 0:
            break
        done, waiting = wait(waiting, timeout=left, return_when=FIRST_COMPLETED)
        if not done:
            break
        if each is not None:
            done, waiting = _gather(done, waiting, gather_s, min(time.monotonic() + gather_max_s,
                                                                  started + deadline_s))
        arrived = [_outcome(futures[f], f) for f in futures if f in done]  # in the order the tasks were given
        for outcome in arrived:
            outcomes[outcome.slug] = outcome
        if each is not None:
            each(arrived)
    for future, slug in futures.items():
        if slug in outcomes:
            continue
        if late is not None:
            outcomes[slug] = Outcome(slug, failure="pending", detail="still running at the page deadline",
                                     seconds=time.monotonic() - started)
            future.add_done_callback(lambda f, s=slug: in_background(late, _outcome(s, f)))
        else:
            future.cancel()
            outcomes[slug] = Outcome(slug, failure="deadline", detail="total deadline passed",
                                     seconds=time.monotonic() - started)
    return outcomes


# Answers asked for together mostly come together: the questions leave a fraction of a millisecond apart (one
# thread sends at a time), so equally quick agencies answer that far apart. Storing each such answer on its own costs
# a transaction each (a dozen statements whatever the answer's size: ~2 ms of CPU on a slow machine, issue 16's
# P1), and the next answers wait behind it. So an answer that comes within GATHER_S of the one before is stored with
# it, for at most GATHER_MAX_S after the first. The wait can only delay storing a list the page is still waiting
# beyond (nothing is waited for once every answer is in), by at most GATHER_S when no further answer comes.
GATHER_S = 0.003
GATHER_MAX_S = 0.015


def _gather(done: set, waiting: set, gather_s: float, until: float) -> tuple[set, set]:
    """``done`` with the futures of ``waiting`` that finish within ``gather_s`` of one another, up to ``until``."""
    done = set(done)
    while waiting and gather_s > 0:
        left = min(gather_s, until - time.monotonic())
        if left <= 0:
            break
        more, waiting = wait(waiting, timeout=left, return_when=FIRST_COMPLETED)
        if not more:
            break
        done |= more
    return done, waiting


def _outcome(slug: str, future: Future) -> Outcome:
    try:
        result, seconds = future.result()
        return Outcome(slug, result=result, seconds=seconds)
    except ProducerFailed as exc:
        return Outcome(slug, failure=exc.reason, detail=str(exc))
    except Exception as exc:  # a bug in one producer's handling must not sink the page
        return Outcome(slug, failure="error", detail=exc.__class__.__name__)


def busy(slug: str) -> int:
    """Calls to ``slug`` running or waiting in this process."""
    with _bulkheads_lock:
        bulkhead = _bulkheads.get(slug)
        return 0 if bulkhead is None else bulkhead.running + len(bulkhead.waiting)


MEANWHILE_AFTER_S = 0.05  # at most this long does ``meanwhile`` wait for the questions to be out


class _Countdown:
    """Set ``done`` once each of ``n`` tasks has said (once) that its question is out."""

    def __init__(self, n: int):
        self.left = n
        self.lock = threading.Lock()
        self.done = threading.Event()
        if n <= 0:
            self.done.set()

    def one(self) -> Callable[[], None]:
        """One task's signal: the first call counts, later ones do nothing."""
        said = []

        def signal() -> None:
            with self.lock:
                if said:
                    return
                said.append(True)
                self.left -= 1
                if self.left <= 0:
                    self.done.set()
        return signal


def _submit(slug: str, task: Callable[[], FetchResult], limit: int, fetch_deadline_s: float,
            sent: Callable[[], None] = lambda: None) -> Future:
    """Start ``task`` in the pool when the producer has a free slot, else queue it behind its own calls.

    ``sent`` is called when the task's first request is out, it ends, or it is queued or refused (nothing to
    wait for then).
    """
    future: Future = Future()
    job = (future, task, fetch_deadline_s, sent)
    with _bulkheads_lock:
        bulkhead = _bulkheads.setdefault(slug, _Bulkhead())
        if bulkhead.running < limit:
            bulkhead.running += 1
        elif len(bulkhead.waiting) < limit * QUEUE_PER_SLOT:
            bulkhead.waiting.append(job)
            sent()
            return future
        else:
            future.set_exception(ProducerFailed("busy", f"{limit} calls already running and "
                                                        f"{len(bulkhead.waiting)} waiting"))
            sent()
            return future
    _pool.submit(_drain, slug, job)
    return future


def _drain(slug: str, job) -> None:
    """Run the job, then the producer's next waiting one, in this thread; free the slot when none is left."""
    while True:
        future, task, fetch_deadline_s, sent = job
        if future.set_running_or_notify_cancel():
            try:
                with outbound.on_sent(sent):
                    future.set_result(_timed(task, fetch_deadline_s))
            except BaseException as exc:  # handed to the caller through the future
                future.set_exception(exc)
            finally:
                sent()
        else:
            sent()
        with _bulkheads_lock:
            bulkhead = _bulkheads[slug]
            if not bulkhead.waiting:
                bulkhead.running -= 1
                return
            job = bulkhead.waiting.popleft()


def _timed(task, fetch_deadline_s: float):
    t0 = time.monotonic()
    with outbound.deadline(fetch_deadline_s):
        try:
            result = task()
        except Exception:
            if outbound.past_deadline():  # the deadline shut the connection: say so, not "down"
                raise ProducerFailed("timeout", f"no complete answer within {fetch_deadline_s:g} s") from None
            raise
    return result, time.monotonic() - t0


__all__ = ["fan_out", "Outcome"]
