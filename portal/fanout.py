"""Ask every producer at once: a shared thread pool, a per-producer timeout and a total deadline.

The page waits for the slowest producer at most, never the sum of them; a
producer that misses the total deadline is reported as timed out while its
request finishes (and is discarded) in the background.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from typing import Callable

from portal.producers import FetchResult, ProducerFailed

_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="fanout")


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
            each: Callable[[Outcome], None] | None = None) -> dict[str, Outcome]:
    """Run each task concurrently; collect what finished within ``deadline_s``.

    A task still running at the deadline is reported as ``pending`` when ``late`` is
    given, and ``late`` receives its outcome when it finishes (in a pool thread, so it
    must open its own database connection); without ``late`` it is reported as
    ``deadline`` and its result is dropped. ``each`` is called in the caller's thread with
    every outcome that arrives in time, as it arrives.
    """
    started = time.monotonic()
    futures: dict[Future, str] = {}
    for slug, task in tasks.items():
        futures[_pool.submit(_timed, task)] = slug
    outcomes: dict[str, Outcome] = {}
    try:
        # Each answer is handed over as it comes, so the caller's work on it overlaps the wait for the slowest.
        for future in as_completed(futures, timeout=deadline_s):
            outcomes[futures[future]] = _outcome(futures[future], future)
            if each is not None:
                each(outcomes[futures[future]])
    except FuturesTimeout:
        pass
    for future, slug in futures.items():
        if slug in outcomes:
            continue
        if late is not None:
            outcomes[slug] = Outcome(slug, failure="pending", detail="still running at the page deadline",
                                     seconds=time.monotonic() - started)
            future.add_done_callback(lambda f, s=slug: late(_outcome(s, f)))
        else:
            future.cancel()
            outcomes[slug] = Outcome(slug, failure="deadline", detail="total deadline passed",
                                     seconds=time.monotonic() - started)
    return outcomes


def _outcome(slug: str, future: Future) -> Outcome:
    try:
        result, seconds = future.result()
        return Outcome(slug, result=result, seconds=seconds)
    except ProducerFailed as exc:
        return Outcome(slug, failure=exc.reason, detail=str(exc))
    except Exception as exc:  # a bug in one producer's handling must not sink the page
        return Outcome(slug, failure="error", detail=exc.__class__.__name__)


def _timed(task):
    t0 = time.monotonic()
    result = task()
    return result, time.monotonic() - t0


__all__ = ["fan_out", "Outcome"]
