"""Writes made together (``Database.deferred``): what a read sees, what a failure leaves, how many statements run.

On both backends (SQLite, or PostgreSQL with PORTAL_TEST_BACKEND). A cold page stores the answers of the agencies
that came together this way; ``test_sync`` checks what it stores, this the mechanism.
"""

from __future__ import annotations

import pytest
from builders import PNR, make_event
from portal_builders import statements_run

from portal.standard.models import Kund
from portal.store import SyncState

ME = Kund(PNR, "Personnummer")


def test_several_agencies_answers_are_written_with_one_statement_per_kind(store):
    ran = statements_run(store)
    with store.transaction(), store.deferred_writes():
        for slug in ("skatteverket", "lansstyrelsen", "tanum"):
            store.upsert_events(PNR, slug, [make_event(f"{slug}-1", kund=ME, tidpunkt="2026-09-14T10:00:00+02:00"),
                                            make_event(f"{slug}-2", kund=ME, tidpunkt="2026-09-15T10:00:00+02:00")],
                                known={}, known_all=True)
            store.save_sync_state(PNR, slug, "*", SyncState())
        assert "insert" not in ran  # kept until the block ends
    inserts = [s for s in ran if s == "insert"]
    assert len(inserts) == 4  # events, case rows, the case version, sync states: once each for three agencies
    for slug in ("skatteverket", "lansstyrelsen", "tanum"):
        assert store.stored_ids(PNR, slug) == {f"{slug}-1", f"{slug}-2"}
        assert store.sync_state(PNR, slug, "*") is not None
    assert store.case_version(PNR) == 3  # each agency's change counted, as written one by one


def test_a_read_inside_the_block_sees_every_write_made_before_it(store):
    with store.transaction(), store.deferred_writes():
        store.upsert_events(PNR, "skatteverket", [make_event("a", kund=ME)], known={}, known_all=True)
        assert store.stored_ids(PNR, "skatteverket") == {"a"}
        assert len(store.case_keys(PNR, ["skatteverket"])) == 1


def test_a_block_that_fails_leaves_nothing_stored(store):
    store.upsert_events(PNR, "skatteverket", [make_event("before", kund=ME)])
    with pytest.raises(RuntimeError), store.transaction(), store.deferred_writes():
        store.upsert_events(PNR, "skatteverket", [make_event("lost", kund=ME)], known=None)
        raise RuntimeError("the page failed half-way")
    assert store.stored_ids(PNR, "skatteverket") == {"before"}
    with store.transaction():  # the connection is usable and no longer keeps writes back
        store.upsert_events(PNR, "skatteverket", [make_event("after", kund=ME)])
    assert store.stored_ids(PNR, "skatteverket") == {"before", "after"}
