"""Latency and fault knobs, per producer, for tests and benchmarks.

Set at start (``--latency skatteverket=200ms+50ms``, ``--fault lansstyrelsen=error500``)
or at run time through the admin endpoint. Faults:

- ``down``: the connection is closed without an answer
- ``error500``: HTTP 500 with an error body
- ``timeout``: the answer comes only after ``timeout_s`` (longer than any sane client waits)
- ``malformed``: HTTP 200 with a truncated JSON body
- ``invalid_events``: schema-invalid events mixed in with the valid ones
- ``foreign_events``: events about another customer mixed in (a producer bug)
- ``oversized``: a valid-looking body of ``oversized_mb`` megabytes, streamed
- ``duplicates``: every event is sent twice
- ``hostile``: markup and script in every text field, ``javascript:`` and ``data:`` links
- ``trickle``: the answer starts at once but comes a byte (a space, valid before JSON) every ``trickle_ms``
  for ``timeout_s`` seconds, then in full: a per-read timeout never fires (applied by :class:`Trickle`, so it
  works for any producer and the registry)
- ``partial``: HTTP 206, each group's last event left out (the total still counts it), ``delfragor`` FEL
- ``short``: HTTP 200 with each group's last event left out, the total still counting it
- ``resent_malformed``: the first event of each group re-sent (same id) in a form that does not validate

Besides latency and faults, ``held: true`` holds every answer of a producer until a test sets
``held: false`` (or ``timeout_s`` passes): a test can then know, without timing anything, that
the producer had not answered when something else happened.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import asdict, dataclass, fields

FAULTS = ("none", "down", "error500", "timeout", "malformed", "invalid_events",
          "foreign_events", "oversized", "duplicates", "hostile", "trickle", "partial", "short",
          "resent_malformed")

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")


class KnobError(ValueError):
    """A knob setting that cannot be applied."""


@dataclass
class Knob:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    fault: str = "none"
    timeout_s: float = 30.0
    oversized_mb: float = 20.0
    trickle_ms: float = 200.0
    held: bool = False

    def delay_s(self, rng: random.Random) -> float:
        return (self.latency_ms + (rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0)) / 1000.0


def parse_duration_ms(text: str) -> float:
    """``200ms``, ``1.5s`` or a bare number of milliseconds."""
    m = _DURATION.match(text.strip())
    if not m:
        raise KnobError(f"not a duration: {text!r} (use e.g. 200ms or 1.5s)")
    value = float(m.group(1))
    return value * 1000 if m.group(2) == "s" else value


def parse_assignment(text: str) -> tuple[str, str]:
    """``slug=value`` -> (slug, value)."""
    slug, sep, value = text.partition("=")
    if not sep or not slug or not value:
        raise KnobError(f"expected SLUG=VALUE, got {text!r}")
    return slug.strip(), value.strip()


class FaultBoard:
    """Thread-safe knobs for every producer (and the registry, slug ``minaombud``)."""

    def __init__(self, slugs):
        self._slugs = set(slugs)
        self._knobs: dict[str, Knob] = {}
        self._lock = threading.Lock()
        self._rng = random.Random(7)
        self._released: dict[str, threading.Event] = {}

    def knows(self, slug: str) -> bool:
        return slug in self._slugs

    def get(self, slug: str) -> Knob:
        with self._lock:
            return Knob(**asdict(self._knobs.get(slug, Knob())))

    def set(self, slug: str, settings: dict) -> Knob:
        if slug not in self._slugs:
            raise KnobError(f"unknown producer {slug!r}")
        allowed = {f.name for f in fields(Knob)}
        unknown = set(settings) - allowed
        if unknown:
            raise KnobError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        if "fault" in settings and settings["fault"] not in FAULTS:
            raise KnobError(f"unknown fault {settings['fault']!r}; one of {', '.join(FAULTS)}")
        for name in ("latency_ms", "jitter_ms", "timeout_s", "oversized_mb", "trickle_ms"):
            if name in settings:
                value = settings[name]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 600_000:
                    raise KnobError(f"{name} must be a number from 0 to 600000")
        if "held" in settings and not isinstance(settings["held"], bool):
            raise KnobError("held must be true or false")
        with self._lock:
            knob = self._knobs.setdefault(slug, Knob())
            for name, value in settings.items():
                setattr(knob, name, value)
            if "held" in settings:
                gate = self._released.setdefault(slug, threading.Event())
                gate.clear() if settings["held"] else gate.set()
            return Knob(**asdict(knob))

    def set_latency(self, assignment: str) -> None:
        """Apply ``slug=200ms`` or ``slug=200ms+50ms`` (latency plus jitter)."""
        slug, value = parse_assignment(assignment)
        base, _, jitter = value.partition("+")
        self.set(slug, {"latency_ms": parse_duration_ms(base),
                        "jitter_ms": parse_duration_ms(jitter) if jitter else 0.0})

    def set_fault(self, assignment: str) -> None:
        slug, value = parse_assignment(assignment)
        self.set(slug, {"fault": value})

    def reset(self) -> None:
        with self._lock:
            self._knobs.clear()
            for gate in self._released.values():
                gate.set()

    def all(self) -> dict[str, dict]:
        with self._lock:
            return {slug: asdict(self._knobs.get(slug, Knob())) for slug in sorted(self._slugs)}

    def wait(self, slug: str, since: float | None = None) -> Knob:
        """Sleep for the producer's latency (from ``since``, see :meth:`begin`); return its knob for the fault."""
        knob, due = self.begin(slug, since)
        finish(due)
        return knob

    def begin(self, slug: str, since: float | None = None) -> tuple[Knob, float]:
        """The producer's knob and when (``time.monotonic()``) its answer is due; waits while it is held.

        The latency runs from ``since`` (when the question came: ``server.asked_at``), else from now.

        The answer is built meanwhile and sent at ``due`` (by the server, ``server.send_at``, else after
        :func:`finish`): an agency's latency is the time from the question to the answer, and a real agency's work
        on it is part of that time, on its own machine. Here every agency shares the consumer's cores, so working *after* the latency would add the mock's own CPU
        time to every answer (eight agencies answering at once, one after the other in one process).
        """
        knob = self.get(slug)
        with self._lock:
            due = (time.monotonic() if since is None else since) + knob.delay_s(self._rng)
            gate = self._released.get(slug)
        if knob.held and gate is not None:
            gate.wait(knob.timeout_s)
            due = max(due, time.monotonic())
        return knob, due


def finish(due: float) -> None:
    """Sleep until ``due`` (``time.monotonic()``), if it has not passed."""
    left = due - time.monotonic()
    if left > 0:
        time.sleep(left)


class Trickle:
    """WSGI middleware: a ``/<slug>/...`` answer whose knob says ``trickle`` is sent a byte at a time."""

    def __init__(self, app, board: FaultBoard):
        self.app = app
        self.board = board

    def __call__(self, environ, start_response):
        slug = environ.get("PATH_INFO", "/").strip("/").split("/", 1)[0]
        if not self.board.knows(slug) or self.board.get(slug).fault != "trickle":
            return self.app(environ, start_response)
        held: dict = {}

        def hold(status, headers, exc_info=None):
            held["status"] = status
            # The length changes (leading spaces) and the end of the answer is the end of the connection.
            held["headers"] = [(k, v) for k, v in headers if k.lower() != "content-length"]
            return lambda data: None

        body = self.app(environ, hold)
        knob = self.board.get(slug)
        start_response(held["status"], held["headers"])
        return self._trickle(body, knob)

    @staticmethod
    def _trickle(body, knob: Knob):
        end = time.monotonic() + knob.timeout_s
        try:
            while time.monotonic() < end:
                yield b" "
                time.sleep(max(knob.trickle_ms, 1.0) / 1000.0)
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
