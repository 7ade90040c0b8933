"""Mock Swedish agencies that speak the Mina ärenden query API, a forwarder and a mandate registry.

Run with ``python -m mock_producers``; see ``__main__`` for the options and
``faults`` for the latency and fault knobs tests and benchmarks use.
"""
