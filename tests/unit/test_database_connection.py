"""A connection found dead (the database went away mid-request): what the next statement of the same request meets.

On both backends. ``Connection.invalidate()`` is what SQLAlchemy does itself when a statement finds the server gone
(tests/integration/test_database_faults.py stops a real PostgreSQL; this is the mechanism, on any timing).
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import PendingRollbackError


def test_after_a_handled_failure_the_next_statement_connects_anew(store):
    db = store.db
    assert db.scalar("select 1") == 1
    db.connection.invalidate()  # a statement found it dead; its error was handled (e.g. leases left to run out)
    assert db.scalar("select 2") == 2  # not "Can't reconnect until invalid transaction is rolled back"
    with db.transaction():
        db.execute("create table if not exists probe (n integer)")
        db.execute("insert into probe values (1)")
    assert db.scalar("select count(*) from probe") == 1


def test_a_transaction_whose_connection_died_fails_and_the_next_one_works(store):
    db = store.db
    db.execute("create table if not exists probe (n integer)")
    with pytest.raises(PendingRollbackError), db.transaction():
        db.execute("insert into probe values (1)")
        db.connection.invalidate()
        # Inside the transaction nothing reconnects: its first write is lost with the connection, so it must fail.
        db.execute("insert into probe values (2)")
    assert db.scalar("select count(*) from probe") == 0
    with db.transaction():
        db.execute("insert into probe values (3)")
    assert db.scalar("select n from probe") == 3
