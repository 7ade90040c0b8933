"""Reads on the driver's own cursor (``Database.rows``/``row``/``first``): the same rows, SQLAlchemy's errors.

On both backends (``PORTAL_TEST_BACKEND``). The reads skip SQLAlchemy's per-statement work (issue 16); what they
return, what a listener sees and what a failure looks like must not change for that.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError


@pytest.fixture()
def db(store):
    db = store.db
    db.execute("create table if not exists probe (n integer, name text, note text)")
    db.executemany("insert into probe values (?, ?, ?)", [(1, "ett", None), (2, "två", "100 %"), (3, "tre", "'q'")])
    return db


def test_rows_row_and_first_give_what_sqlalchemy_gives(db):
    sql = "select n, name, note from probe where n >= ? order by n"
    assert db.rows(sql, [2]) == [tuple(r) for r in db.execute(sql, [2]).fetchall()] == [(2, "två", "100 %"),
                                                                                         (3, "tre", "'q'")]
    assert all(type(r) is tuple for r in db.rows(sql, [1]))
    assert db.row(sql, [3]) == (3, "tre", "'q'")
    assert db.row(sql, [9]) is None and db.rows(sql, [9]) == []
    assert db.first(sql, [1]) == {"n": 1, "name": "ett", "note": None}
    assert db.first(sql, [9]) is None
    # A literal % and a quoted ? in the text are the SQL's, not placeholders (PostgreSQL's pyformat).
    assert db.rows("select name from probe where note like '100 %' or note = '?' order by n") == [("två",)]


def test_a_listener_to_statements_sees_every_read(db):
    seen = []

    def count(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.rows("select n from probe")
        db.row("select n from probe where n = ?", [1])
        db.first("select * from probe where n = ?", [2])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) == 3 and all(s.startswith("select") for s in seen)


def test_a_failing_read_raises_sqlalchemys_error(db):
    with pytest.raises(DBAPIError) as failed:
        db.rows("select n from no_such_table")
    assert "no_such_table" in str(failed.value)
    assert db.rows("select count(*) from probe") == [(3,)]  # the connection is still good


def test_a_read_that_finds_its_connection_dead_fails_as_sqlalchemy_says_and_the_next_connects_anew(db):
    db.connection.connection.dbapi_connection.close()  # as when the server went away
    with pytest.raises(DBAPIError) as failed:
        db.rows("select n from probe")
    assert failed.value.connection_invalidated  # SQLAlchemy saw a dead connection, and replaces it
    assert db.rows("select count(*) from probe") == [(3,)]


def test_reads_inside_a_transaction_see_its_writes(db):
    with db.transaction():
        db.execute("insert into probe values (?, ?, ?)", [4, "fyra", None])
        assert db.row("select name from probe where n = ?", [4]) == ("fyra",)
    assert db.rows("select count(*) from probe") == [(4,)]


def test_only_reads_take_the_drivers_cursor():
    from portal.store.database import _is_read
    assert _is_read("select 1") and _is_read("  SELECT n from probe")
    assert _is_read("with k(n) as (values (?)) select p.n from k join probe p on p.n = k.n")
    assert _is_read("with k(n) as (values (?)) select deleted_at, updated from k")  # words, not keywords
    for write in ("insert into probe values (1)", "update probe set n = 2",
                  "with k(p) as (values (?)) delete from fetch_leases where party = ?",
                  "with k(n) as (values (?)) insert into probe select n from k"):
        assert not _is_read(write)

