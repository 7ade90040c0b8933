"""The tests' config builder (tests/testconfig.py): a portal started in its own process reads the same config
an in-process app is built from, pointed at the test's mock world and database."""

from __future__ import annotations

import dataclasses
import tomllib

from testconfig import build, portal_doc, to_toml, write_toml
from testdb import test_database

from portal.config import load

MOCK = "http://127.0.0.1:1234"


def _doc(tmp_path) -> dict:
    doc = portal_doc(MOCK, test_database(tmp_path), settings={"fresh_s": 0, "server_timing": True},
                     tables={"oidc": {"issuer": "http://127.0.0.1:9", "client_id": "portal",
                                      "redirect_url": "http://127.0.0.1:8/login/callback", "offer_mock_eid": False},
                             "producer": [{"slug": "extra", "name": 'Kommunen "Extra"\\\n\t\x01\x7f',
                                           "orgnr": "2120000001", "url": "http://127.0.0.1:7/extra"}]})
    doc["permissions"]["skatteverket"] = {"0b9f2c1e-5d3a-4e7b-9c61-2f4a8d7e3b10": ["SKV.MOMS"]}
    return doc


def test_the_written_config_reads_back_as_the_same_dict(tmp_path):
    doc = _doc(tmp_path)
    assert tomllib.loads(to_toml(doc)) == doc


def test_a_server_reading_the_file_gets_the_config_an_in_process_app_is_built_from(tmp_path):
    doc = _doc(tmp_path)
    from_file = load(write_toml(doc, tmp_path / "portal.toml"), env={}, testing=True)
    assert dataclasses.replace(from_file, source="") == dataclasses.replace(build(doc), source="")


def test_every_address_points_at_the_mock_world_and_the_database_is_the_tests(database):
    cfg = build(portal_doc(MOCK, database))
    assert cfg.settings.database == database
    assert all(p.url.startswith(MOCK + "/") for p in cfg.producers)
    assert cfg.ombud.url.startswith(MOCK + "/") and cfg.ombud.token_url.startswith(MOCK + "/")
    assert cfg.signatory.url.startswith(MOCK + "/")
    assert cfg.ombud.deadline_s == cfg.signatory.deadline_s == 15.0
