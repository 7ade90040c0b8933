"""The audit log's page ("Who has looked") and its export (``flask --app portal audit-export``)."""

from __future__ import annotations

import datetime as dt
import json

import click
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from portal.acting import acting_party
from portal.audit import label
from portal.runtime import store
from portal.web.pages import page_context

bp = Blueprint("audit", __name__, cli_group=None)  # `flask --app portal audit-export`


@bp.route("/vem-har-tittat")
@login_required
def who_looked():
    """The data tracker of the acting party: every look at its cases.

    Acting for a company with full access (its signatory), the company's whole log; on a mandate, only
    one's own looks at it (a mandate does not reveal who else looks).
    """
    party = acting_party()
    rows = store().audit_for_party(party.identity.digits, without=("calendar",))
    polls = store().audit_counts(party.identity.digits, "calendar")
    if not party.full_access:
        rows = [r for r in rows if r["user_handle"] == current_user.handle]
        polls = [p for p in polls if p["user_handle"] == current_user.handle]
    return render_template("pages/audit.html", rows=rows, polls=polls, label=label, me=current_user.handle,
                           **page_context(party))


@bp.cli.command("audit-export")
@click.option("--since", help="only rows from this date on (YYYY-MM-DD)")
def export(since: str | None) -> None:
    """Write the audit log as JSON lines to standard output."""
    start = dt.datetime.fromisoformat(since).replace(tzinfo=dt.timezone.utc) if since else None
    for row in store().audit_rows(start):
        click.echo(json.dumps(row, ensure_ascii=False))
