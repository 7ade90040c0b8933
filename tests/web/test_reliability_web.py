"""Reliability: every agency in turn may fail, a huge answer is refused, logs line up, the audit log exports."""

from __future__ import annotations

import json
import re

import pytest

from webtools import KARIN, act_as, case_refs, demo_refs, login, notices, page, set_fault

OSTRON_ORG = "165590001235"
OSTRON_AGENCIES = ["bolagsverket", "jordbruksverket", "lansstyrelsen", "livsmedelsverket", "skatteverket", "tanum"]
NAMES = {"bolagsverket": "Bolagsverket", "jordbruksverket": "Jordbruksverket",
         "lansstyrelsen": "Länsstyrelsen Västra Götaland", "livsmedelsverket": "Livsmedelsverket",
         "skatteverket": "Skatteverket", "tanum": "Tanums kommun"}


@pytest.mark.parametrize("fault", ["down", "error500", "malformed"])
def test_each_agency_in_turn_failing_keeps_the_page_and_its_cached_cases(private_world, make_private_app, fault):
    client = make_private_app(fresh_s=0, page_deadline_s=5.0).test_client()
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    everything = case_refs(page(client.get("/")))
    assert everything == demo_refs(OSTRON_ORG, OSTRON_AGENCIES)
    for slug in OSTRON_AGENCIES:
        set_fault(private_world, slug, fault=fault)
        try:
            soup = page(client.get("/"))
        finally:
            private_world.admin("DELETE", "/faults")
        assert any(n.startswith(NAMES[slug] + " svarade inte; vi visar det vi hade") for n in notices(soup)), (slug, notices(soup))
        assert case_refs(soup) == everything, slug  # nothing cached was lost
        client.get("/")  # healthy again before the next agency fails


def test_a_huge_answer_is_refused_while_streaming(private_world, make_private_app):
    set_fault(private_world, "jordbruksverket", fault="oversized", oversized_mb=20)
    client = make_private_app(page_deadline_s=10.0).test_client()
    login(client, KARIN)
    soup = page(client.get("/"))
    assert "Jordbruksverket svarade inte; deras ärenden saknas nedan." in notices(soup)
    assert case_refs(soup) == demo_refs(KARIN, ["skatteverket"])  # the other agencies' cases are all there


def test_log_lines_carry_the_correlation_id_the_agencies_received(private_world, make_private_app, caplog):
    set_fault(private_world, "skatteverket", fault="error500")
    client = make_private_app(page_deadline_s=5.0).test_client()
    login(client, KARIN)
    client.get("/")
    ours = [r.getMessage() for r in caplog.records if "producer failed producer=skatteverket" in r.getMessage()]
    assert ours, "the portal logs the failure"
    correlation = re.search(r"correlation_id=([0-9a-f-]{36})", ours[-1]).group(1)
    theirs = private_world.stop()
    assert f"query producer=skatteverket correlation_id={correlation}" in theirs
    assert f"query producer=tanum correlation_id={correlation}" in theirs  # one id for the whole fan-out


def test_audit_log_exports_as_json_lines(make_app):
    app = make_app()
    client = app.test_client()
    login(client, KARIN)
    client.get("/")
    client.get("/arende/nosuchcase")
    result = app.test_cli_runner().invoke(args=["audit-export"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["action"], r["outcome"]) for r in rows][-2:] == [("overview", "allowed"), ("case", "not_found")]
    assert all(r["party"] == KARIN and r["correlation_id"] for r in rows)
    since = app.test_cli_runner().invoke(args=["audit-export", "--since", "2999-01-01"])
    assert since.exit_code == 0 and since.output == ""


def test_the_audit_log_refuses_changes(app, client):
    from portal.store import connect
    login(client, KARIN)
    client.get("/")
    db = connect(app.extensions["portal"].config.settings.database)
    try:
        with pytest.raises(Exception, match="append-only"):
            db.execute("update audit set outcome = 'x'")
        with pytest.raises(Exception, match="append-only"):
            db.execute("delete from audit")
        assert db.scalar("select count(*) from audit") > 0
    finally:
        db.close()
