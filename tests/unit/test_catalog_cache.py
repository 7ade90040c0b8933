"""Parsed catalogs kept per process (``store/catalogs.py``): read and parsed once until they change, and only for
the last few databases the process used (a test process opens hundreds).

The store is a real database (``testdb``: SQLite, or PostgreSQL with ``PORTAL_TEST_BACKEND=postgresql``).
"""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event

from portal.store import Store, catalogs, connect, ensure_schema
from portal.store.database import engine
from testdb import test_database

DOC = {"kundhandelseTyper": [{"typ": "TANUM.BYGGLOV", "namn": {"sv": "Bygglov"}}]}


@contextlib.contextmanager
def counted(database: str):
    """The statements sent to ``database`` inside the block."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        sent.append(statement)

    event.listen(engine(database), "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine(database), "before_cursor_execute", count)


@pytest.fixture()
def stores(tmp_path):
    made = []

    def make(name: str) -> tuple[str, Store]:
        database = test_database(tmp_path, name)
        db = connect(database)
        ensure_schema(db)
        made.append(Store(db))
        return database, made[-1]

    yield make
    for s in made:
        s.close()


def test_a_catalog_is_parsed_once_and_read_again_only_when_it_changed(stores):
    database, store = stores("one")
    store.save_catalog("tanum", DOC)
    store.save_catalog("skatteverket", None)  # publishes none
    first = store.catalogs()
    assert first["tanum"][1] == DOC and first["skatteverket"][1] is None
    with counted(database) as sent:
        again = store.catalogs()
    assert again["tanum"][1] is first["tanum"][1]  # the same parsed document, not a new one
    assert len(sent) == 1  # only when each was fetched
    changed = {"kundhandelseTyper": [{"typ": "TANUM.BYGGLOV", "namn": {"sv": "Lov att bygga"}}]}
    store.save_catalog("tanum", changed)
    after = store.catalogs()
    assert after["tanum"][1] == changed
    assert after["skatteverket"][1] is None


def test_only_the_last_databases_keep_their_parsed_catalogs(stores, monkeypatch):
    monkeypatch.setattr(catalogs, "KEEP_DATABASES", 2)
    opened = [stores(name) for name in ("first", "second", "third")]
    parsed = []
    for _database, store in opened:
        store.save_catalog("tanum", DOC)
        parsed.append(store.catalogs()["tanum"][1])
    assert len(catalogs._parsed) == 2  # the first database's fell out
    (first_db, first), (third_db, third) = opened[0], opened[2]
    with counted(third_db) as sent:
        assert third.catalogs()["tanum"][1] is parsed[2]  # kept: reused
    assert len(sent) == 1
    with counted(first_db) as sent:
        again = first.catalogs()["tanum"][1]
    assert again == DOC and again is not parsed[0]  # read and parsed again
    assert len(sent) == 2
    assert len(catalogs._parsed) == 2
