"""Unit tests: the shared builders live in ``builders.py``; importing it registers the hypothesis profile."""

import builders  # noqa: F401
