"""Ask every producer at once: a shared thread pool, a per-producer timeout and a total deadline.

The page waits for the slowest producer at most, never the sum of them; a
producer that misses the total deadline is reported as timed out while its
request finishes (and is discarded) in the background.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
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


def fan_out(tasks: dict[str, Callable[[], FetchResult]], deadline_s: float) -> dict[str, Outcome]:
    """Run each task concurrently; collect what finished within ``deadline_s``."""
    started = time.monotonic()
    futures: dict[Future, str] = {}
    for slug, task in tasks.items():
        futures[_pool.submit(_timed, task)] = slug
    done, _ = wait(futures, timeout=deadline_s, return_when="ALL_COMPLETED")
    outcomes: dict[str, Outcome] = {}
    for future, slug in futures.items():
        if future not in done:
            future.cancel()
            outcomes[slug] = Outcome(slug, failure="deadline", detail="total deadline passed",
                                     seconds=time.monotonic() - started)
            continue
        try:
            result, seconds = future.result()
            outcomes[slug] = Outcome(slug, result=result, seconds=seconds)
        except ProducerFailed as exc:
            outcomes[slug] = Outcome(slug, failure=exc.reason, detail=str(exc))
        except Exception as exc:  # a bug in one producer's handling must not sink the page
            outcomes[slug] = Outcome(slug, failure="error", detail=exc.__class__.__name__)
    return outcomes


def _timed(task):
    t0 = time.monotonic()
    result = task()
    return result, time.monotonic() - t0


__all__ = ["fan_out", "Outcome"]
