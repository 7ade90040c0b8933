"""Conformance kit: does an agency's endpoint follow the Mina ärenden standard before it goes live?

``python -m portal.conformance producer URL ...`` runs a battery of checks
against a producer's ``kundhandelseFragaSynkron``; ``... registry URL ...``
against a Mina ombud registry's consumer API (OAuth2, ``sok/behorigheter``,
``fullmakter/{id}``). Modules: ``report`` (checks, results, text and JSON),
``client`` (HTTP, every exchange recorded), ``contracts`` (the published
contracts where they differ from our schemas), ``producer_checks`` and
``registry_checks`` (the batteries), ``__main__`` (CLI).
Free of Flask: it needs only requests and ``portal.standard``.
"""

from .producer_checks import run_producer
from .registry_checks import run_registry
from .report import RECOMMENDED, REQUIRED, Report

__all__ = ["run_producer", "run_registry", "Report", "REQUIRED", "RECOMMENDED"]
