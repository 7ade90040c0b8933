"""Fixtures shared by every test folder: the mock world as a real server."""

from __future__ import annotations

import pytest

from mockworld import FIXTURE_WORLD, MockWorld


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
