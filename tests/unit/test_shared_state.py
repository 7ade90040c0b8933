"""State several portal instances share through the database: fetch leases and the log-in rate limit.

Two ``Store``s (two connections, as two instances have) on one database, SQLite or
PostgreSQL (PORTAL_TEST_BACKEND).
"""

from __future__ import annotations

import threading

import pytest

from portal.ratelimit import DatabaseStorage
from portal.store import Store, connect, prepare_database


@pytest.fixture()
def two(database):
    prepare_database(database)
    first, second = Store(connect(database)), Store(connect(database))
    yield first, second
    first.close()
    second.close()


def test_a_fetch_lease_is_held_by_one_holder_until_given_back(two):
    a, b = two
    assert a.take_fetch_lease("p", "lst", "*", "a", 60)
    assert not b.take_fetch_lease("p", "lst", "*", "b", 60)  # the other instance does not ask the agency too
    assert b.take_fetch_lease("p", "skv", "*", "b", 60)  # another agency (or party, or scope) is free
    assert b.take_fetch_lease("q", "lst", "*", "b", 60)
    b.release_fetch_lease("p", "lst", "*", "b")  # only the holder can give it back
    assert not b.take_fetch_lease("p", "lst", "*", "b", 60)
    a.release_fetch_lease("p", "lst", "*", "a")
    assert b.take_fetch_lease("p", "lst", "*", "b", 60)


def test_a_lease_whose_holder_died_runs_out(two):
    a, b = two
    assert a.take_fetch_lease("p", "lst", "*", "a", -1)  # taken, and already run out: its holder never came back
    assert b.take_fetch_lease("p", "lst", "*", "b", 60)
    assert not a.take_fetch_lease("p", "lst", "*", "a", 60)


def _at_once(database: str, instances: int, work) -> dict:
    """``work(store, i)`` in ``instances`` threads, each with a store of its own, released together: i -> result."""
    prepare_database(database)
    stores = [Store(connect(database)) for _ in range(instances)]
    barrier, results = threading.Barrier(instances), {}

    def run(i):
        barrier.wait()
        results[i] = work(stores[i], i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(instances)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    return results


def test_many_at_once_only_one_takes_the_lease(database):
    won = _at_once(database, 8, lambda store, i: store.take_fetch_lease("p", "lst", "*", f"h{i}", 60))
    assert list(won.values()).count(True) == 1 and len(won) == 8


def test_the_rate_limit_counts_hits_from_every_instance_in_one_window(database):
    prepare_database(database)
    first, second = DatabaseStorage("portaldb://", database=database), DatabaseStorage("portaldb://", database=database)
    assert [first.incr("login/1.2.3.4", 60), second.incr("login/1.2.3.4", 60), first.incr("login/1.2.3.4", 60)] == \
        [1, 2, 3]
    assert second.get("login/1.2.3.4") == 3 and second.get("login/5.6.7.8") == 0
    assert first.get_expiry("login/1.2.3.4") > 0
    first.clear("login/1.2.3.4")
    assert second.get("login/1.2.3.4") == 0
    assert first.check()


def test_a_window_that_ended_starts_counting_again(database):
    prepare_database(database)
    storage = DatabaseStorage("portaldb://", database=database)
    storage.incr("k", -1)  # a window that has already ended
    storage.incr("k", -1)
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1


def test_the_flask_limiter_uses_the_shared_counters(database):
    """Through Flask-Limiter as the portal configures it: 3 per minute, counted across two apps on one database."""
    from flask import Flask
    from flask_limiter import Limiter

    import portal.ratelimit  # noqa: F401  registers portaldb://

    prepare_database(database)
    apps = []
    for _ in range(2):
        app = Flask(__name__)
        limiter = Limiter(lambda: "1.2.3.4", app=app, storage_uri="portaldb://",
                          storage_options={"database": database}, default_limits=[])
        app.add_url_rule("/login", "login", limiter.limit("3 per minute")(lambda: "ok"), methods=["POST"])
        apps.append(app.test_client())
    statuses = [apps[i % 2].post("/login").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_a_page_takes_every_free_lease_in_one_go_and_gives_them_back(two):
    a, b = two
    assert a.take_fetch_lease("p", "lst", "*", "a", 60)
    assert b.take_fetch_lease("p", "fk", "*", "b", -1)  # taken, but its holder's time ran out
    wanted = [("lst", "*"), ("skv", "*"), ("fk", "*"), ("skv", "ombud:1")]
    assert b.take_fetch_leases("p", wanted, "b2", 60) == {("skv", "*"), ("fk", "*"), ("skv", "ombud:1")}
    assert a.take_fetch_leases("p", wanted, "a2", 60) == set()  # all held now, by a and b2
    a.release_fetch_leases("p", [("skv", "*"), ("fk", "*")], "a2")  # not a2's: nothing is given back
    assert a.take_fetch_leases("p", [("skv", "*")], "a3", 60) == set()
    b.release_fetch_leases("p", [("skv", "*"), ("fk", "*")], "b2")  # b2's own: given back; ombud:1 stays held
    assert a.take_fetch_leases("p", wanted, "a4", 60) == {("skv", "*"), ("fk", "*")}


def test_many_pages_at_once_share_out_the_leases_of_many_agencies(database):
    wanted = [(f"agency{n}", "*") for n in range(8)]
    won = _at_once(database, 6, lambda store, i: store.take_fetch_leases("p", wanted, f"h{i}", 60))
    taken = [lease for leases in won.values() for lease in leases]
    assert sorted(taken) == sorted(wanted)  # each agency's lease went to exactly one page
