"""The benchmarks are a script (``python -m tests.benchmarks``), not tests: pytest collects nothing here."""

collect_ignore_glob = ["*.py"]
