"""Producer text made safe to show: no control or direction-override characters.

Escaping stops markup, not characters that change how text reads: U+202E (right-to-left
override) turns "fdp.exe" into what looks like "exe.pdf", NUL and other controls break
an .ics line or a terminal. Every string of an event (titles, descriptions, references,
extended information) is cleaned once, when the answer arrives, before anything is stored.
"""

from __future__ import annotations

import re

from portal.standard.models import Event

# C0 and C1 controls except tab and newline; bidi embeddings, overrides and isolates (U+202A-202E,
# U+2066-2069) and marks (U+200E, U+200F, U+061C); line and paragraph separators; lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
                     "\ud800-\udfff]")


def clean_text(value: str) -> str:
    return _UNSAFE.sub("", value)


def _clean(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _has_unsafe(value) -> bool:
    """Whether any string in ``value`` (keys too, at any depth) holds an unsafe character.

    The strings are gathered and searched as one: every event of every answer comes through here, and a call
    and a search per string (about thirty per event) cost more than the rest of checking the event. Joining
    cannot make or hide a match, since the pattern is one character long.
    """
    strings, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            strings.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return _UNSAFE.search("".join(strings)) is not None


def clean_event(event: Event) -> Event:
    """The event with every string cleaned (the same object when there was nothing to clean)."""
    doc = event.to_json()
    if not _has_unsafe(doc):
        return event
    return Event.from_json(_clean(doc))
