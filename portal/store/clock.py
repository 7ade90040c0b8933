"""Time stamps as the store keeps them: aware UTC, ISO 8601 text. "Now" is the shared clock's."""

from __future__ import annotations

import datetime as dt

from portal.standard.clock import UTC, now

__all__ = ["UTC", "now", "_iso", "_from_iso"]


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None
