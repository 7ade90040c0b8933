"""A producer trickling its answer (the mock world's ``trickle`` fault) against the portal's fetch."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from mock_producers.state import DEMO_API_KEY
from portal import catalog, fanout, outbound
from portal.config import ProducerConfig
from portal.producers import ProducerClient, ProducerFailed
from portal.standard.models import Kund

pytestmark = pytest.mark.integration

PERSON = "199009091233"


def _client(world) -> ProducerClient:
    config = ProducerConfig(slug="alfa", name="Alfa", orgnr="2021005448", url=world.url + "/alfa",
                            api_key=DEMO_API_KEY, timeout_s=2.0)
    return ProducerClient(config, outbound.new_session())


def _fetch(world):
    client = _client(world)
    return lambda: client.fetch(Kund(PERSON, "Personnummer"), PERSON, str(uuid.uuid4()))


def test_the_trickle_fault_sends_a_whole_answer_slowly(clean_world):
    clean_world.admin("PUT", "/faults/alfa", {"fault": "trickle", "timeout_s": 0.5, "trickle_ms": 50})
    result = _fetch(clean_world)()
    assert [e.kundhandelse_id for e in result.events]  # every byte arrived: leading spaces are valid JSON


def test_a_fetch_ends_at_its_own_deadline_even_when_every_byte_comes_in_time(clean_world):
    # A byte every 50 ms never trips the 2 s per-read timeout; only the fetch's deadline ends it.
    clean_world.admin("PUT", "/faults/alfa", {"fault": "trickle", "timeout_s": 8, "trickle_ms": 50})
    outcome = fanout.fan_out({"alfa": _fetch(clean_world)}, 30, fetch_deadline_s=0.5)["alfa"]
    assert outcome.result is None
    assert outcome.failure == "timeout"


def test_a_trickling_catalog_is_abandoned_at_the_producers_timeout(clean_world):
    clean_world.admin("PUT", "/faults/alfa", {"fault": "trickle", "timeout_s": 8, "trickle_ms": 50})
    producer = _client(clean_world).config
    with pytest.raises(ProducerFailed) as failed:
        catalog.fetch(replace(producer, timeout_s=0.5), outbound.new_session())
    assert failed.value.reason == "timeout"
