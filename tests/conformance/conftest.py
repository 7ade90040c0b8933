"""Fixtures for the conformance kit's tests; helpers live in ``conformancetools``."""

from __future__ import annotations

import pytest

from conformancetools import ScriptServer


def _serve(script: str, *args: str):
    server = ScriptServer(script, *args)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def broken_producer():
    """The deliberately broken producer, running on a free port."""
    yield from _serve("broken_producer.py")


@pytest.fixture(scope="session")
def reference_like_producer():
    """A producer answering like the published reference producer."""
    yield from _serve("reference_like_producer.py")


@pytest.fixture(scope="session")
def reference_like_registry():
    """A registry answering like Mina ombud's consumer API (OAuth2, Bearer, tredjeman required)."""
    yield from _serve("reference_like_registry.py")


@pytest.fixture(scope="session")
def lenient_registry():
    """The same registry with tredjeman optional and no _sig: what the kit must fail."""
    yield from _serve("reference_like_registry.py", "--lenient")
