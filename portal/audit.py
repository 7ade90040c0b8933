"""The audit log: who looked at whose cases, on what basis, when, and the outcome.

Written on every overview, case page and party switch (refusals included);
append-only in the database. A user sees who has looked at their own cases
(in the spirit of Estonia's Data Tracker, ``portal.web.audit``); operators export it with
``flask --app portal audit-export``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_login import current_user

from portal.runtime import correlation_id, store
from portal.timing import stage

# The closed vocabulary of the audit log: every action it may hold, with what "Who has looked" calls it.
# Calendar feed polls are recorded as "calendar" and counted apart on that page.
ACTIONS = {
    "calendar": lazy_gettext("A calendar app fetched the deadline feed"),
    "overview": lazy_gettext("Opened the overview"),
    "case": lazy_gettext("Opened a case"),
    "act_as": lazy_gettext("Chose to act for you"),
    "situations": lazy_gettext("Opened the situations"),
    "situation": lazy_gettext("Opened a situation"),
    "situation_create": lazy_gettext("Created a situation of their own"),
    "situation_rename": lazy_gettext("Renamed a situation"),
    "situation_delete": lazy_gettext("Deleted a situation"),
    "situation_add_case": lazy_gettext("Added a case to a situation"),
    "situation_remove_case": lazy_gettext("Removed a case from a situation"),
    "across": lazy_gettext("Listed your cases among everyone they represent"),
    # Written by the notifier with no party (so "Who has looked" never lists it): to whom, which triggers.
    "notice": lazy_gettext("An e-mail notice was sent"),
}


# A party switch to one's own cases is no "choosing to act for you".
OWN_SWITCH = lazy_gettext("Went back to their own cases")


def record(party, action: str, outcome: str = "allowed", subject: str | None = None) -> None:
    """Log one look (``party`` may be None when the request named no valid party; ``subject``: a case's title).

    ``action`` must be one of :data:`ACTIONS`: a new kind of look needs its label (in both languages) first.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to portal.audit.ACTIONS with its label")
    with stage("audit"):  # the insert and its commit
        store().audit(current_user.handle if current_user.is_authenticated else None,
                      party.identity.digits if party is not None else None,
                      party.basis if party is not None else None, action, outcome, correlation_id(), subject)


def record_visit(party, follow_up: bool) -> None:
    """Log a visit to the overview once: a filter change or an automatic refresh (``follow_up``) right after
    the user's last look at this party's overview is the same visit."""
    if follow_up and store().last_audit_action(current_user.handle, party.identity.digits) == "overview":
        return
    record(party, "overview")


def label(row: dict) -> str:
    """What "Who has looked" calls one row."""
    if row["action"] == "act_as" and row["basis"] == "own":
        return str(OWN_SWITCH)
    return str(ACTIONS.get(row["action"], row["action"]))
