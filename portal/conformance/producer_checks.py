"""The battery for a producer's ``kundhandelseFragaSynkron``.

The kit does not know the producer's data, so semantics are checked for
consistency between queries: an unfiltered, unpaged answer per customer (the
baseline) against filtered, sorted and paged answers for the same customer.
Checks that look back over every answer (schemas, error bodies, times) run last.
The checks live by family in ``producer_protocol``, ``producer_semantics`` and
``producer_answers``; importing them registers them, in that order.
"""

from __future__ import annotations

from portal.standard.identity import Identity

# Importing a family registers its checks; the order is the order they run in (answers look back over all).
from . import producer_protocol  # noqa: F401, I001
from . import producer_semantics  # noqa: F401
from . import producer_answers  # noqa: F401
from .client import Client
from .producer_context import (
    OPERATION,
    Customer,
    ProducerContext,
    battery,
    fitting_collations,
    is_sorted_any_collation,
    order_problem,
)
from .report import Report

__all__ = ["battery", "fitting_collations", "is_sorted_any_collation", "order_problem", "run_producer"]


def run_producer(url: str, api_key: str | None, customers: list[Identity], *, anvandare: str | None = None,
                 key_header: str = "X-API-Key", client_id: str | None = None, timeout: float = 10.0,
                 max_p95: float = 2.0) -> Report:
    """Run every producer check against ``url``, the producer's base (the kit appends ``/kundhandelseFragaSynkron``).

    The producer takes ``api_key`` in ``key_header``; or, given ``client_id``, ``client_id`` and ``client_secret``
    headers with ``api_key`` as the secret.
    """
    client = Client(url, api_key, key_header=key_header, client_id=client_id, timeout=timeout)
    ctx = ProducerContext(client, [Customer(c, anvandare or c.digits) for c in customers], max_p95=max_p95)
    return Report("producer", client.base + OPERATION, battery.run(ctx))
