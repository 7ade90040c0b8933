"""Fixtures for the conformance kit's tests; helpers live in ``conformancetools``."""

from __future__ import annotations

import pytest

from conformancetools import BrokenProducer


@pytest.fixture(scope="session")
def broken_producer():
    """The deliberately broken producer, running on a free port."""
    server = BrokenProducer()
    yield server
    server.stop()
