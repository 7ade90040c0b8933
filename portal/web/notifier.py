"""``flask --app portal notify [--loop]``: the notifier's command (the notifier itself is ``portal.notifier``)."""

from __future__ import annotations

import signal
import threading

import click
from flask import Blueprint, current_app

from portal.notifier import run_pass, worker_id
from portal.runtime import config

bp = Blueprint("notifier", __name__, cli_group=None)  # `flask --app portal notify`


@bp.cli.command("notify")
@click.option("--loop", is_flag=True, help="keep running: a pass every [notify] loop_interval_s")
def notify_command(loop: bool) -> None:
    """Send e-mail notices: one pass (for cron or a systemd timer), or --loop."""
    app = current_app._get_current_object()
    cfg = config()
    stopping = threading.Event()
    if loop:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())  # finish the pass under way, then stop
    worker = worker_id()
    while True:
        with app.test_request_context(base_url=cfg.notify.base_url):
            report = run_pass(worker=worker)
        click.echo(f"parties={report.parties} refreshed={report.refreshed} triggers={report.triggers} "
                   f"messages={report.messages} sent={report.sent} delayed={report.delayed} "
                   f"refused={report.refused} failed={report.failed}")
        if not loop or stopping.wait(cfg.notify.loop_interval_s):
            return
