"""Notices without servers: which triggers, their keys, back-off, the [smtp]/[notify] config, and the outbox rules."""

from __future__ import annotations

import datetime as dt

import pytest
from portal_builders import API_KEY, SECRET, config_doc

from portal.config import ConfigError, parse
from portal.notice_triggers import CLOSED, DUE1, DUE7, TURN, backoff_s, deadline_triggers, event_triggers
from portal.standard import clock
from portal.store import Store, connect, ensure_schema

TODAY = dt.date(2031, 3, 10)  # any day: the rules count days from the day they are given


def test_events_that_put_the_ball_with_the_customer_or_close_are_triggers():
    rows = [("skv", "e1", "customer"), ("skv", "e2", "producer"), ("skv", "e3", "closed")]
    assert [(t.kind, t.what) for t in event_triggers(rows)] == [(TURN, "e1"), (CLOSED, "e3")]


@pytest.mark.parametrize("days, kind", [(-1, None), (0, DUE1), (1, DUE1), (2, DUE7), (7, DUE7), (8, None)])
def test_a_deadline_a_week_or_a_day_away(days, kind):
    found = deadline_triggers([("skv", "case", "customer", TODAY + dt.timedelta(days=days))], TODAY)
    assert [t.kind for t in found] == ([kind] if kind else [])


def test_no_deadline_trigger_when_the_agency_has_the_ball():
    assert deadline_triggers([("skv", "case", "producer", TODAY + dt.timedelta(days=1)),
                              ("skv", "case2", "customer", None)], TODAY) == []


def test_keys_are_per_recipient_party_and_event_and_reveal_nothing():
    [t] = event_triggers([("skv", "131 777777-26/1", "customer")])
    assert t.key("u1", "198504124564") == t.key("u1", "198504124564")
    assert len({t.key("u1", "p"), t.key("u2", "p"), t.key("u1", "q")}) == 3
    assert "198504124564" not in t.key("u1", "198504124564") and "777777" not in t.key("u1", "p")
    # A week's notice and a day's notice about the same last day are two triggers.
    week, day = (deadline_triggers([("skv", "c", "customer", TODAY + dt.timedelta(days=d))], TODAY)[0]
                 for d in (3, 1))
    assert week.key("u", "p") != day.key("u", "p")


def test_backoff_doubles_up_to_a_day():
    assert [backoff_s(n, 60) for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff_s(40, 60) == 86400


# --- config ---------------------------------------------------------------------------


def test_smtp_and_notify_defaults_and_values():
    doc = config_doc() | {"smtp": {"host": "mail.example.se", "port": 2525, "username": "portal"},
                          "notify": {"refresh_interval_s": 1800, "base_url": "https://arenden.example.se"}}
    cfg = parse(doc, {"PORTAL_SMTP_PASSWORD": "s3cret-from-env"}, testing=True)
    assert (cfg.smtp.host, cfg.smtp.port, cfg.smtp.starttls, cfg.smtp.password) == \
        ("mail.example.se", 2525, True, "s3cret-from-env")
    assert "s3cret" not in repr(cfg.smtp)
    assert cfg.notify.refresh_interval_s == 1800.0 and cfg.notify.max_attempts == 10


@pytest.mark.parametrize("smtp, env, message", [
    ({"password": "x"}, {}, "never in the file"),
    ({"username": "portal"}, {}, "PORTAL_SMTP_PASSWORD"),
    ({"username": "portal", "starttls": False}, {"PORTAL_SMTP_PASSWORD": "pw"}, "without STARTTLS"),
    ({"port": "25"}, {}, "port must be a positive whole number"),
    ({"relay": "x"}, {}, "unknown key(s) in [smtp]: relay"),
])
def test_bad_smtp_config_is_refused_with_a_reason(smtp, env, message):
    doc = config_doc() | {"smtp": smtp}
    with pytest.raises(ConfigError) as info:
        parse(doc, {"PORTAL_SECRET_KEY": SECRET, "MOCK_PRODUCER_API_KEY": API_KEY,
                    "MINAOMBUD_CLIENT_SECRET": "ombud-client-secret-" + "o" * 32, **env}, testing=False)
    assert message in str(info.value)


def test_notify_base_url_must_be_http():
    with pytest.raises(ConfigError, match=r"\[notify\] base_url"):
        parse(config_doc() | {"notify": {"base_url": "javascript:alert(1)"}}, {}, testing=True)


# --- the outbox -----------------------------------------------------------------------


@pytest.fixture()
def stores(database):
    path = database
    first = Store(connect(path))
    ensure_schema(first.db)
    second = Store(connect(path))
    yield first, second
    first.close()
    second.close()


def _subscribed(store):
    store.set_notice_address("u", "a@example.se", "sv")
    store.confirm_notice_address("u", "a@example.se")
    store.save_notice_choices("u", "immediate", ["p"], "sv")


def test_a_trigger_found_twice_is_stored_once_and_joins_one_message(stores):
    a, b = stores
    _subscribed(a)
    assert a.record_triggers("u", "p", "", [("k1", TURN)]) == 1
    assert b.record_triggers("u", "p", "", [("k1", TURN)]) == 0
    first = a.compose_message("u", "a@example.se", "sv")
    assert first is not None and b.compose_message("u", "a@example.se", "sv") is None
    assert a.message_triggers(first) == [("p", "", TURN)]


def test_baseline_triggers_are_never_sent(stores):
    a, _ = stores
    _subscribed(a)
    a.record_triggers("u", "p", "", [("old", TURN)], baseline_producer="skv")
    assert a.baselined_producers("u", "p") == {"skv"}
    assert a.record_triggers("u", "p", "", [("old", TURN)]) == 0
    assert a.compose_message("u", "a@example.se", "sv") is None


def test_a_claim_is_won_once_and_lapses_only_after_the_lease(stores):
    a, b = stores
    _subscribed(a)
    a.record_triggers("u", "p", "", [("k", TURN)])
    key = a.compose_message("u", "a@example.se", "sv")
    moment = clock.now() + dt.timedelta(minutes=1)  # the message is due from the moment it was made
    assert a.claim_message(key, "w1", moment, 600) is not None
    assert b.claim_message(key, "w2", moment + dt.timedelta(seconds=599), 600) is None
    assert b.claim_message(key, "w2", moment + dt.timedelta(seconds=600), 600) is not None
    a.finish_message(key, "w1", "sent")  # the first claimant lost its claim: its word no longer counts
    assert a.message_states("u") == {"sending": 1}


@pytest.mark.parametrize("hour, ok", [(0, True), (23, True), (24, False), (-1, False), (True, False), ("7", False)])
def test_summary_hour_is_an_hour_of_the_day(hour, ok):
    doc = config_doc() | {"notify": {"summary_hour": hour}}
    if ok:
        assert parse(doc, {}, testing=True).notify.summary_hour == hour
    else:
        with pytest.raises(ConfigError, match="summary_hour"):
            parse(doc, {}, testing=True)
