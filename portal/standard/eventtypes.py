"""Event type codes (``kundhandelseTyp``): ``PRODUCER.CASETYPE.EVENTTYPE`` and longer.

The first segment names the producer, the last the event type; everything
before the last segment is the case type, so ``LST.VATTENBRUK.TILLSTAND.BESLUT``
is event type ``BESLUT`` in case type ``LST.VATTENBRUK.TILLSTAND``, itself under
``LST.VATTENBRUK``. Prefixes (in queries, situations and permission codes) match
at segment boundaries only: ``SKV.MOMS`` covers ``SKV.MOMS.BESLUT`` but not
``SKV.MOMSX.BESLUT``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TYPE_PATTERN = r"^[A-Z]+(\.[A-Z0-9_]+){2,}$"
PREFIX_PATTERN = r"^[A-Z]+(\.[A-Z0-9_]+)*$"
_TYPE = re.compile(TYPE_PATTERN)
_PREFIX = re.compile(PREFIX_PATTERN)


class InvalidEventType(ValueError):
    """A code that does not follow ``PRODUCER.CASETYPE.EVENTTYPE``."""


@dataclass(frozen=True)
class EventType:
    """A parsed event type code."""

    code: str

    @classmethod
    def parse(cls, code: str) -> "EventType":
        if not isinstance(code, str) or not _TYPE.fullmatch(code):
            raise InvalidEventType("kundhandelseTyp must look like PRODUCER.CASETYPE.EVENTTYPE (A-Z, 0-9, _)")
        return cls(code)

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.code.split("."))

    @property
    def producer(self) -> str:
        return self.segments[0]

    @property
    def case_type(self) -> str:
        return self.code.rsplit(".", 1)[0]

    @property
    def event(self) -> str:
        return self.segments[-1]

    def matches(self, prefix: str) -> bool:
        return matches_prefix(self.code, prefix)


def is_prefix(value: str) -> bool:
    """True for a well-formed type prefix such as ``SKV`` or ``SKV.MOMS``."""
    return isinstance(value, str) and bool(_PREFIX.fullmatch(value))


def matches_prefix(code: str, prefix: str) -> bool:
    """True when ``prefix`` covers ``code`` at a segment boundary."""
    return code == prefix or code.startswith(prefix + ".")


def matches_any(code: str, prefixes) -> bool:
    """True when any of ``prefixes`` covers ``code``; an empty list covers nothing."""
    return any(matches_prefix(code, p) for p in prefixes)


def case_type_ancestors(case_type: str) -> list[str]:
    """Every case-type level above and including ``case_type``, shortest first, without the producer alone.

    ``LST.VATTENBRUK.TILLSTAND`` -> ``["LST.VATTENBRUK", "LST.VATTENBRUK.TILLSTAND"]``.
    """
    parts = case_type.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1)]
