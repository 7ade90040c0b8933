"""The tests' PostgreSQL (tests/pgcluster.py): fresh databases, a cluster stopped and started, the env override."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

import pgcluster

pytestmark = pytest.mark.integration


def tables(url: str) -> list[str]:
    with pgcluster.connect(url) as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
    return [r[0] for r in rows]


def test_fresh_databases_are_empty_distinct_and_usable_through_sqlalchemy():
    first, second = pgcluster.fresh_database("pgc"), pgcluster.fresh_database("pgc")
    assert first != second
    assert first.startswith("postgresql+psycopg://") and second.startswith("postgresql+psycopg://")
    assert tables(first) == [] and tables(second) == []

    engine = sa.create_engine(first)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE note (id integer PRIMARY KEY, body text)"))
            conn.execute(sa.text("INSERT INTO note VALUES (1, 'Hej på dig')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT body FROM note")).scalar_one() == "Hej på dig"
    finally:
        engine.dispose()
    assert tables(first) == ["note"]
    assert tables(second) == []  # the other database did not get it

    pgcluster.drop_database(second)
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        pgcluster.connect(second).close()


def test_a_cluster_stopped_refuses_connections_and_started_again_keeps_its_data():
    with pgcluster.Cluster() as cluster:
        url = pgcluster.fresh_database("down", server=cluster.url())
        with pgcluster.connect(url) as conn:
            conn.execute("CREATE TABLE kept (n integer)")
            conn.execute("INSERT INTO kept VALUES (42)")

        cluster.stop()
        with pytest.raises(psycopg.OperationalError):
            pgcluster.connect(url, connect_timeout=3).close()

        cluster.start()
        with pgcluster.connect(url) as conn:
            assert conn.execute("SELECT n FROM kept").fetchall() == [(42,)]
        folder = cluster.dir
    assert not folder.exists()  # closed: the server is gone with its files
    with pytest.raises(psycopg.OperationalError):
        pgcluster.connect(url, connect_timeout=3).close()


def test_the_env_url_is_honoured_in_its_plain_postgresql_form(monkeypatch):
    with pgcluster.Cluster() as cluster:
        plain = cluster.url().replace("postgresql+psycopg://", "postgresql://")
        monkeypatch.setenv(pgcluster.ENV_URL, plain)
        monkeypatch.setattr(pgcluster, "_server_url", None)  # as in a process that has not asked yet

        assert pgcluster.server_url() == cluster.url()
        url = pgcluster.fresh_database("env")
        name = url.rsplit("/", 1)[1]
        with pgcluster.connect(cluster.url()) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall()
        assert found == [(1,)]


def test_a_missing_postgresql_is_named_with_the_way_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(pgcluster, "DEBIAN_BINS", str(tmp_path / "nothing" / "*" / "bin"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pgcluster.PostgresUnavailable, match="initdb was not found.*make postgresql"):
        pgcluster.find_bin_dir()


@pytest.mark.parametrize("given, expected", [
    ("postgresql://u:p@db.example:5433/admin", "postgresql+psycopg://u:p@db.example:5433/admin"),
    ("postgres://u@db.example", "postgresql+psycopg://u@db.example/postgres"),
    ("postgresql+psycopg://u@127.0.0.1:5432/postgres", "postgresql+psycopg://u@127.0.0.1:5432/postgres"),
])
def test_env_urls_are_normalised_to_psycopg(given, expected):
    assert pgcluster.normalise_url(given) == expected


@pytest.mark.parametrize("given", ["mysql://u@h/db", "sqlite:///portal.db", "not a url"])
def test_a_url_that_is_not_postgresql_is_refused_clearly(given):
    with pytest.raises(pgcluster.PostgresUnavailable, match="not a"):
        pgcluster.normalise_url(given)


def test_a_server_that_will_not_start_says_why_with_its_log():
    cluster = pgcluster.Cluster(settings={"shared_buffers": "'plenty'"})
    try:
        with pytest.raises(pgcluster.PostgresUnavailable, match=r"did not start(.|\n)*server log(.|\n)*shared_buffers"):
            cluster.start()
    finally:
        cluster.close()
    assert not cluster.dir.exists()
