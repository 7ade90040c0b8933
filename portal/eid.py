"""Identity providers (e-legitimation). Only the mock e-ID exists yet; it is for demo and test mode.

A real provider (BankID or Freja eID through a federation) would implement the
same two calls: what the log-in page shows, and who a completed log-in is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from portal.standard.identity import Identity, InvalidIdentity, parse_person


@dataclass(frozen=True)
class DemoIdentity:
    identity: Identity
    name: str
    role_sv: str
    role_en: str

    def role(self, locale: str) -> str:
        return self.role_en if locale == "en" else self.role_sv


class MockEid:
    """Log in by typing a (fictitious) personnummer. Refused outside demo and test mode."""

    name = "mock"

    def __init__(self, identities_file: str):
        self.identities = _load(Path(identities_file))

    def authenticate(self, personnummer: str) -> tuple[Identity, str]:
        """The person and their name; raises InvalidIdentity for a malformed number."""
        person = parse_person(personnummer)
        known = next((d for d in self.identities if d.identity == person), None)
        return person, known.name if known else "Testperson"


def _load(path: Path) -> list[DemoIdentity]:
    if not path.exists():
        return []
    out = []
    for row in json.loads(path.read_text(encoding="utf-8")).get("identiteter", []):
        try:
            out.append(DemoIdentity(parse_person(row["pnr"]), row["namn"], row.get("roll_sv", ""),
                                    row.get("roll_en", "")))
        except (InvalidIdentity, KeyError):
            continue
    return out


__all__ = ["MockEid", "DemoIdentity", "InvalidIdentity"]
