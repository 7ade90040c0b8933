"""The portal's Mina ombud and signatory clients against the replay of the published API (real loopback HTTP)."""

from __future__ import annotations

import json
import uuid

import pytest
import replay_registry as rr

from portal import ombud as ombud_mod
from portal import outbound
from portal.config import OmbudConfig, SignatoryConfig
from portal.ombud import LookupFailed, OmbudClient, RegistryUnavailable, SignatoryClient, SignatoryUnavailable
from portal.standard.identity import parse_person

pytestmark = pytest.mark.integration

EVA = parse_person(rr.EVA)
AGENCIES = [rr.SKV, rr.BV, "2021002114"]


@pytest.fixture(scope="module")
def server():
    r = rr.Replay()
    yield r
    r.stop()


@pytest.fixture()
def replay(server):
    server.reset()
    yield server
    server.reset()


def ombud(replay, **changes) -> OmbudClient:
    config = OmbudConfig(url=replay.url + rr.BASE, token_url=replay.url + "/oauth2/token", client_id=rr.CLIENT_ID,
                         client_secret=changes.pop("client_secret", rr.CLIENT_SECRET),
                         deadline_s=changes.pop("deadline_s", 2.0), **changes)
    return OmbudClient(config, outbound.new_session())


def signatories(replay, **changes) -> SignatoryClient:
    config = SignatoryConfig(url=replay.url + "/foretag", api_key=rr.SIGNATORY_KEY,
                             deadline_s=changes.pop("deadline_s", 2.0), **changes)
    return SignatoryClient(config, outbound.new_session())


def cid() -> str:
    return str(uuid.uuid4())


def test_every_agency_every_page_merged(replay):
    entries, failures = ombud(replay).permissions(EVA, AGENCIES, cid())
    assert failures == []
    names = [(e["tredjeman"], e["fullmaktsgivare"]["namn"]) for e in entries]
    assert sorted(n for t, n in names if t == rr.SKV) == sorted(
        ["Bohusläns Ostron AB", "Fjällbygg AB", "Hamnkrogen i Grebbestad AB", "Ström", "Kustbageriet AB"])
    assert [n for t, n in names if t == rr.BV] == ["Fjällbygg AB"]
    bodies = [json.loads(r["body"]) for r in replay.requests("/sok/behorigheter")]
    assert sorted(b["tredjeman"] for b in bodies if b["page"]["page"] == 0) == sorted(AGENCIES)
    assert all(b["behorigheter"] == [] for b in bodies)


def test_the_token_is_reused_while_it_is_valid(replay):
    client = ombud(replay)
    for _ in range(3):
        client.permissions(EVA, AGENCIES, cid())
    assert len(replay.requests("/oauth2/token")) == 1
    assert len({r["auth"] for r in replay.requests("/sok/behorigheter")}) == 1


def test_the_token_is_renewed_shortly_before_it_expires(replay, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(ombud_mod.time, "monotonic", lambda: clock[0])  # one clock for client and replay
    client = ombud(replay)
    client.permissions(EVA, [rr.BV], cid())
    clock[0] += rr.TOKEN_TTL_S - ombud_mod.TOKEN_MARGIN_S - 1  # still well within its life
    client.permissions(EVA, [rr.BV], cid())
    assert len(replay.requests("/oauth2/token")) == 1
    clock[0] += 2  # now within the margin: a new one before the registry would refuse the old
    client.permissions(EVA, [rr.BV], cid())
    assert len(replay.requests("/oauth2/token")) == 2
    assert not [r for r in replay.requests("/sok/behorigheter") if r["auth"] == ""]


def test_a_refused_token_is_replaced_once_not_in_a_loop(replay):
    client = ombud(replay)
    client.permissions(EVA, AGENCIES, cid())
    replay.expire_tokens()
    entries, failures = client.permissions(EVA, AGENCIES, cid())
    assert failures == [] and entries
    assert len(replay.requests("/oauth2/token")) == 2
    replay.registry_fault = "401"  # a registry that refuses every token
    with pytest.raises(RegistryUnavailable, match="401"):
        client.permissions(EVA, [rr.SKV], cid())
    assert len(replay.requests("/oauth2/token")) == 3  # one more token, one retry, then it gives up


def test_wrong_client_secret_is_a_registry_failure(replay):
    with pytest.raises(LookupFailed) as info:
        ombud(replay, client_secret="wrong").permissions(EVA, AGENCIES, cid())
    assert info.value.source == "registry" and "token" in str(info.value)


@pytest.mark.parametrize("fault,words", [
    ("400", "answered 400"), ("malformed", "not JSON"), ("missing_page", "page"), ("trickle", "timeout"),
])
def test_one_agency_failing_leaves_the_others(replay, fault, words):
    replay.registry_fault, replay.fault_agency = fault, rr.BV
    entries, failures = ombud(replay, deadline_s=1.0).permissions(EVA, AGENCIES, cid())
    assert {e["tredjeman"] for e in entries} == {rr.SKV}
    [failure] = failures
    assert failure.agency == rr.BV and words in str(failure)
    assert rr.EVA not in str(failure)


@pytest.mark.parametrize("fault", ["400", "malformed", "missing_page", "trickle", "401"])
def test_every_agency_failing_raises(replay, fault):
    replay.registry_fault = fault
    with pytest.raises(RegistryUnavailable):
        ombud(replay, deadline_s=1.0).permissions(EVA, AGENCIES, cid())


def test_an_answer_for_another_agency_is_refused(replay, monkeypatch):
    original = rr.entries_for
    monkeypatch.setattr(rr, "entries_for", lambda holder, tredjeman, typ=None: original(holder, rr.SKV, typ))
    with pytest.raises(RegistryUnavailable, match="another agency"):
        ombud(replay).permissions(EVA, [rr.BV], cid())


def test_one_whole_mandate(replay):
    doc = ombud(replay).mandate(rr.BV, "f0000000-0000-4000-8000-000000000003", cid())
    assert doc["fullmakt"]["tredjeman"] == {"id": rr.BV, "namn": "Bolagsverket"}
    got = ombud(replay).mandates([(rr.BV, "f0000000-0000-4000-8000-000000000003"), (rr.BV, "nope")], cid())
    assert got[(rr.BV, "nope")] is None and got[(rr.BV, "f0000000-0000-4000-8000-000000000003")]


def test_signatories_from_their_own_source(replay):
    assert signatories(replay).companies(EVA, cid()) == [{"orgnr": "5590006788", "namn": "Nyström Redovisning AB"}]
    assert SignatoryClient(None, outbound.new_session()).companies(EVA, cid()) == []  # none configured
    body = json.loads(replay.requests("/firmatecknare")[0]["body"])
    assert body == {"pnr": rr.EVA}  # in the body, never in the URL
    assert all(rr.EVA not in r["path"] for r in replay.requests(""))


@pytest.mark.parametrize("fault", ["401", "400", "malformed", "missing_list", "trickle"])
def test_a_misbehaving_signatory_source_is_named(replay, fault):
    replay.signatory_fault = fault
    with pytest.raises(SignatoryUnavailable) as info:
        signatories(replay, deadline_s=1.0).companies(EVA, cid())
    assert info.value.source == "signatory" and rr.EVA not in str(info.value)
