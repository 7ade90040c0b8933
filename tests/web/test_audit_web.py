"""'Who has looked' names every action of the audit vocabulary in words, in Swedish and in English."""

from __future__ import annotations

import pytest
from webtools import KARIN, login, page, text_of

from portal import audit
from portal.store import Store, connect

SWEDISH = {
    "overview": "Öppnade översikten",
    "case": "Öppnade ett ärende",
    "act_as": "Valde att företräda dig",
}


def _record_every_action(app):
    db = connect(app.extensions["portal"].config.settings.database)
    try:
        store = Store(db)
        (user,) = [r[0] for r in db.execute("select user_handle from sessions where ended_at is null")]
        for action in audit.ACTIONS:
            if action != "calendar":  # feed polls are counted apart, not listed
                store.audit(user, KARIN, "self", action, "allowed", "")
    finally:
        db.close()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_action_has_its_own_label(app, client, language):
    login(client, KARIN)
    client.get("/")
    client.get(f"/sprak/{language}")
    _record_every_action(app)
    cells = [text_of(tr.select("td")[3]) for tr in page(client.get("/vem-har-tittat")).select("tbody tr")]
    with app.test_request_context(headers={"Accept-Language": language}):
        from flask_babel import force_locale
        with force_locale(language):
            labels = {action: str(label) for action, label in audit.ACTIONS.items() if action != "calendar"}
    assert len(set(labels.values())) == len(labels)  # no two actions share a label
    for action, label in labels.items():
        assert label in cells, (action, label)
        assert action not in cells  # never the raw code
    if language == "sv":
        for action, label in SWEDISH.items():
            assert labels[action] == label
    else:
        assert labels["overview"] == "Opened the overview" and labels["act_as"] == "Chose to act for you"


def test_an_unknown_action_cannot_be_recorded(app):
    with app.test_request_context():
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(None, "peeked")
