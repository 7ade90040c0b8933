"""Performance benchmarks (issue 6): ``python -m tests.benchmarks`` (``make bench``). Not part of ``make test``."""
