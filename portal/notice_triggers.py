"""What deserves a notice, and the idempotency key that makes each be sent once. Pure: no Flask, no I/O.

Triggers: a new event that puts the ball with the customer (``turn``), a new event
that closes a case (``closed``), and an open deadline of a case waiting for the
customer that is a week away (``due7``: 2-7 days left) or a day away (``due1``:
today or tomorrow). The key names the recipient, the party and the case or event,
never anything a reader could use: it is a hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

TURN, CLOSED, DUE7, DUE1 = "turn", "closed", "due7", "due1"
KINDS = (TURN, DUE7, DUE1, CLOSED)


@dataclass(frozen=True)
class Trigger:
    kind: str
    producer: str
    what: str  # the event id, or the case key and deadline

    def key(self, user_handle: str, party: str) -> str:
        """The same trigger for the same recipient and party always has the same key."""
        raw = "\x1f".join((user_handle, party, self.producer, self.kind, self.what))
        return hashlib.sha256(raw.encode()).hexdigest()


def event_triggers(events) -> list[Trigger]:
    """``events``: (producer, kundhandelse id, ball) rows; an event putting the ball with the customer or closing."""
    out = []
    for producer, event_id, ball in events:
        if ball == "customer":
            out.append(Trigger(TURN, producer, event_id))
        elif ball == "closed":
            out.append(Trigger(CLOSED, producer, event_id))
    return out


def deadline_triggers(cases, today: dt.date) -> list[Trigger]:
    """``cases``: (producer, case key, ball, deadline as date or None) rows; deadlines a week or a day away."""
    out = []
    for producer, case_key, ball, deadline in cases:
        if ball != "customer" or deadline is None:
            continue
        left = (deadline - today).days
        if 0 <= left <= 1:
            out.append(Trigger(DUE1, producer, f"{case_key}\x1f{deadline.isoformat()}"))
        elif 1 < left <= 7:
            out.append(Trigger(DUE7, producer, f"{case_key}\x1f{deadline.isoformat()}"))
    return out


def backoff_s(attempts: int, base_s: float, cap_s: float = 86400.0) -> float:
    """How long to wait after the ``attempts``-th failed try: base, doubling, at most a day."""
    return min(base_s * (2 ** max(attempts - 1, 0)), cap_s)
