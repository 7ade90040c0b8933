"""Where a request's time goes: per-stage server time in a ``Server-Timing`` header (setting ``server_timing``).

Off by default: stage times tell an outsider how much work a page was (a timing side channel), so only a bench or
a debugging operator turns them on. Stages are summed when entered more than once; nested stages count in both.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from flask import Flask, g, has_request_context


@contextmanager
def stage(name: str):
    """Time the block as ``name`` when this request is timed; otherwise cost nothing but a lookup."""
    timings = g.get("portal_timing") if has_request_context() else None
    if timings is None:
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0


def header(timings: dict[str, float], total: float) -> str:
    """``Server-Timing`` value: ``name;dur=ms`` per stage (milliseconds, three decimals), then the total."""
    parts = [f"{name};dur={seconds * 1000:.3f}" for name, seconds in timings.items()]
    return ", ".join([*parts, f"total;dur={total * 1000:.3f}"])


def install(app: Flask) -> None:
    """Time every request and send the header, when the setting is on."""

    @app.before_request
    def start():
        g.portal_timing = {}
        g.portal_timing_start = time.perf_counter()

    @app.after_request
    def send(response):
        timings = g.get("portal_timing")
        if timings is not None:
            response.headers["Server-Timing"] = header(timings, time.perf_counter() - g.portal_timing_start)
        return response
