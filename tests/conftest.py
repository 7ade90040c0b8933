"""Fixtures shared by every test folder: the mock world as a real server."""

from __future__ import annotations

import logging

import pytest

import privacyscan
import testdb
from mockworld import FIXTURE_WORLD, MockWorld


def pytest_sessionstart(session):
    logging.getLogger().addHandler(privacyscan.Collector(level=logging.DEBUG))


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any log line or visited URL held a personal identity number."""
    found = privacyscan.findings()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line("")
        reporter.write_line(f"privacy scan: {len(privacyscan.TEXTS)} log texts and URLs, {len(found)} finding(s)")
    if found:
        if reporter:
            reporter.write_line(f"PRIVACY: {len(found)} identity number(s) in logs or URLs:", red=True)
            for line in found[:20]:
                reporter.write_line("  " + line, red=True)
        session.exitstatus = 1


@pytest.fixture()
def database(tmp_path) -> str:
    """A new, empty database for this test: SQLite in tmp_path, or PostgreSQL (PORTAL_TEST_BACKEND=postgresql)."""
    return testdb.test_database(tmp_path)


@pytest.fixture()
def empty_database(tmp_path) -> str:
    """``database`` with no tables at all, not even on PostgreSQL (for the migrations' own tests)."""
    return testdb.test_database(tmp_path, empty=True)


@pytest.fixture(scope="session")
def world():
    """The small fixture world: producers alfa and beta, a registry, 'today' fixed."""
    w = MockWorld("--data", str(FIXTURE_WORLD))
    yield w
    w.stop()


@pytest.fixture()
def clean_world(world):
    """``world`` with every knob, counter and the access check reset before and after the test."""
    world.admin("DELETE", "/faults")
    world.admin("DELETE", "/stats")
    world.admin("PUT", "/access-check", {"enabled": True})
    yield world
    world.admin("DELETE", "/faults")
    world.admin("PUT", "/access-check", {"enabled": True})


@pytest.fixture(scope="session")
def demo_world():
    """The shipped demo data, as ``make demo`` serves it."""
    w = MockWorld()
    yield w
    w.stop()
