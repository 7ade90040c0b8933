"""The schema's migrations, on the test backend (SQLite, or PostgreSQL with PORTAL_TEST_BACKEND=postgresql).

A migrated database is exactly the schema in ``portal/store/tables.py``; several processes
starting at once migrate it once; a database made before migrations is continued, its
events made searchable; the audit log refuses change on either engine.
"""

from __future__ import annotations

import json
import multiprocessing

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.store import Store, connect, prepare_database, schema
from portal.store.database import Database, dispose_engines
from portal.store.tables import metadata


def test_a_migrated_database_is_the_schema_in_tables(empty_database):
    prepare_database(empty_database)
    db = connect(empty_database)
    try:
        differences = compare_metadata(MigrationContext.configure(db.connection), metadata)
        assert differences == []
        assert schema.current_revision(empty_database) == schema.head_revision()
    finally:
        db.close()


def _start(database: str, barrier) -> str:
    barrier.wait()  # every process starts at the same moment, as the workers of a new deployment do
    prepare_database(database)
    return schema.current_revision(database)


def test_instances_starting_at_once_migrate_once(empty_database):
    dispose_engines()  # the children must not inherit this process's connections
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(4)
        with context.Pool(4) as pool:
            revisions = pool.starmap(_start, [(empty_database, barrier)] * 4)
    assert revisions == [schema.head_revision()] * 4
    db = connect(empty_database)
    try:
        assert db.scalar("select count(*) from alembic_version") == 1
    finally:
        db.close()


def test_a_database_made_before_migrations_is_continued_and_its_events_become_searchable(empty_database):
    schema.upgrade(empty_database, "0001")
    db = connect(empty_database)
    try:
        with db.transaction():
            db.execute("drop table alembic_version")  # as the last ensure_schema left it: tables, no revision
            db.execute("insert into events (party, producer, kundhandelse_id, case_key, typ, tidpunkt, ball, data)"
                       " values ('p', 'lst', 'k1', 'c1', 'LST.X', '2026-01-01T00:00:00+00:00', 'agency', ?)",
                       [json.dumps({"rubrik": "Tillstånd för VATTENBRUK", "beskrivning": "Ärende"})])
    finally:
        db.close()
    prepare_database(empty_database)
    db = connect(empty_database)
    try:
        assert schema.current_revision(empty_database) == schema.head_revision()
        assert db.scalar("select search_text from events where kundhandelse_id = 'k1'") == \
            "tillstånd för vattenbruk\närende"
        assert {"fetch_leases", "rate_limits"} <= set(inspect(db.connection).get_table_names())
    finally:
        db.close()


def test_the_audit_log_refuses_change_and_removal(empty_database):
    prepare_database(empty_database)
    store = Store(connect(empty_database))
    try:
        store.audit("u", "p", "self", "overview", "allowed", "c")
        for statement in ("update audit set outcome = 'x'", "delete from audit"):
            with pytest.raises(Exception, match="append-only"):
                with store.db.transaction():
                    store.db.execute(statement)
        if store.db.dialect == "postgresql":
            with pytest.raises(Exception, match="append-only"):
                store.db.execute("truncate audit")
        assert [r["outcome"] for r in store.audit_for_party("p")] == ["allowed"]
    finally:
        store.close()


def test_a_failed_transaction_leaves_nothing_half_written(empty_database):
    prepare_database(empty_database)
    db = Database(empty_database)
    try:
        with pytest.raises(RuntimeError):
            with db.transaction():
                db.execute("insert into catalogs (producer, fetched_at, data) values ('a', 'x', null)")
                raise RuntimeError("the second half fails")
        assert db.scalar("select count(*) from catalogs") == 0
    finally:
        db.close()


def test_the_command_line_upgrade_and_current(empty_database):
    from portal import create_app
    from portal.config import load

    app = create_app({"TESTING": True, "PORTAL": load(env={"PORTAL_DATABASE": empty_database}, testing=True)})
    runner = app.test_cli_runner()
    current = runner.invoke(args=["db", "current"])
    assert current.exit_code == 0, current.output
    assert f"at revision {schema.head_revision()}" in current.output
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0 and f"at revision {schema.head_revision()}" in upgraded.output
