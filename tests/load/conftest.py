"""Fixtures for the load tests: a mock world of their own (demo data) and the portal under gunicorn, 2 workers."""

from __future__ import annotations

import pytest

from mockworld import MockWorld

from loadrun import start_portal

@pytest.fixture(scope="module")
def load_world():
    world = MockWorld()
    yield world
    world.stop()


@pytest.fixture(scope="module")
def load_portal(load_world, tmp_path_factory):
    server = start_portal(load_world.url, tmp_path_factory.mktemp("load-portal"), workers=2)
    yield server
    server.stop()
