"""The sync state per (party, producer, scope): when an agency last answered, failed, in which language."""

from __future__ import annotations

import datetime as dt
import json

from .clock import _from_iso, _iso
from .database import Database
from .records import SyncState

CHUNK = 400  # bound parameters per statement stay far below SQLite's limit


class SyncStateStore:
    """What we know of each (party, producer, scope) fetch."""

    db: Database

    def sync_state(self, party: str, producer: str, scope: str) -> SyncState:
        r = self.db.row(f"select {_STATE_COLUMNS} from sync where party = ? and producer = ? and scope = ?",
                        [party, producer, scope])
        return SyncState() if r is None else _state(r)

    def sync_states(self, party: str) -> dict[tuple[str, str], SyncState]:
        """Every sync state of the party by (producer, scope): one statement for all its agencies."""
        return {(r[-2], r[-1]): _state(r) for r in self.db.rows(
            f"select {_STATE_COLUMNS}, producer, scope from sync where party = ?", [party])}

    def save_sync_state(self, party: str, producer: str, scope: str, state: SyncState) -> None:
        row = {
            "party": party, "producer": producer, "scope": scope,
            "last_success_at": _iso(state.last_success_at), "last_full_at": _iso(state.last_full_at),
            "last_error_at": _iso(state.last_error_at), "failing_since": _iso(state.failing_since),
            "last_error": state.last_error, "invalid": state.invalid, "foreign": state.foreign,
            "capped": state.capped,
            "incomplete": state.incomplete, "failed_behind": json.dumps(list(state.failed_behind), ensure_ascii=False),
            "language": state.language,
        }
        columns = ", ".join(f'"{c}"' for c in row)  # quoted: "foreign" is an SQL keyword
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in row if c not in ("party", "producer", "scope"))
        # One statement: atomic by itself, no transaction around it (each BEGIN and COMMIT is a round trip). Through
        # executemany, so that several agencies' states are written together inside ``Database.deferred``.
        self.db.executemany(f"insert into sync ({columns}) values ({', '.join('?' * len(row))})"
                            f" on conflict (party, producer, scope) do update set {updates}", [list(row.values())])

    def sync_times(self, parties: list[str]) -> dict[tuple[str, str, str], tuple[dt.datetime | None, dt.datetime | None]]:
        """(party, producer, scope) -> (last success, last error) for every sync state of these parties."""
        out = {}
        wanted = sorted(set(parties))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            for party, producer, scope, success, error in self.db.rows(
                    "select party, producer, scope, last_success_at, last_error_at from sync"
                    f" where party in ({','.join('?' * len(chunk))})", chunk):
                out[(party, producer, scope)] = (_from_iso(success), _from_iso(error))
        return out


# SyncState's fields in its order, read by position (every warm page reads a party's states: a row by name costs
# more than parsing it).
_STATE_COLUMNS = ('last_success_at, last_full_at, last_error_at, failing_since, last_error, invalid, "foreign",'
                  ' capped, incomplete, failed_behind, language')


def _state(r) -> SyncState:
    success, full, error, failing, last_error, invalid, foreign, capped, incomplete, behind, language = r[:11]
    return SyncState(_from_iso(success), _from_iso(full), _from_iso(error), _from_iso(failing), last_error,
                     invalid or 0, foreign or 0, capped or 0, incomplete,
                     tuple(json.loads(behind)) if behind else (), language)
