"""Scan everything a test run logged, and every URL the browser visited, for personal identity numbers.

Servers started by the tests hand their logs here when they stop; the portal's
in-process log records are collected by a handler; the browser tests record each
URL they request. At the end of the run, any personnummer or samordningsnummer
found fails the run.
"""

from __future__ import annotations

import logging
import re

from portal.standard.identity import InvalidIdentity, parse_person

TEXTS: list[tuple[str, str]] = []  # (where, text)
# Bounded by anything but hex digits and dashes, so the digit runs inside UUIDs (correlation ids) do not count.
_CANDIDATE = re.compile(r"(?<![0-9A-Fa-f-])((?:19|20)\d{6}-?\d{4}|\d{6}[-+]?\d{4})(?![0-9A-Fa-f-])")


def add(where: str, text: str) -> None:
    TEXTS.append((where, text))


def person_numbers(text: str) -> set[str]:
    """Valid personnummer/samordningsnummer in ``text`` (organisation numbers are public and pass)."""
    found = set()
    for match in _CANDIDATE.findall(text):
        try:
            parse_person(match)
        except InvalidIdentity:
            continue
        found.add(match)
    return found


class Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            add(f"log {record.name}", record.getMessage())
        except Exception:  # a record that cannot be formatted is not ours to judge
            pass


def findings() -> list[str]:
    out = []
    for where, text in TEXTS:
        for number in sorted(person_numbers(text)):
            out.append(f"{where}: {number[:6]}…")
    return out
