"""P12: one notifier pass over many subscribed parties with the eight mock agencies (issue 19).

    python -m tests.benchmarks.notify_pass [--parties 1000]     (also part of ``make bench`` as P12)

A mock world whose data folder holds ``parties`` generated persons (one event per agency each); a portal database
where each of them is a user with a confirmed address who chose themself; a real SMTP server on loopback
(``tests/smtpsink.py``). Three passes, run in this process as ``flask --app portal notify`` runs them:
1. cold: every party is fetched from every agency and its events become history (no message);
2. after one new "your turn" event for every tenth party, with ``refresh_interval_s`` and ``fresh_s`` = 0: every party is asked again
   (incrementally), and exactly the changed parties get a message;
3. the same with the default ``refresh_interval_s`` (1 h): nobody is asked, nothing is sent.
Requests and bytes are the mock agencies' own count (``/_admin/stats``); memory is this process's peak RSS.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "tests.benchmarks"

from tests.benchmarks.world import (SLUGS, MockWorld, _events, admin, personnummer, producer_bytes, workdir,  # noqa: E402
                                    write_demo_data)

from smtpsink import SmtpSink  # noqa: E402  (tests/ is on sys.path through world.py, as the tests have it)
from testconfig import build, portal_doc  # noqa: E402
from testdb import test_database  # noqa: E402



def subscribers(count: int) -> list[str]:
    return [personnummer(dt.date(1960, 1, 1) + dt.timedelta(days=i // 900), 100 + i % 900) for i in range(count)]


def measure(parties: int = 1000, tmp: Path | None = None, log=print) -> dict:
    from portal import create_app
    from portal.config import SmtpConfig
    from portal.notifier import run_pass
    from portal.runtime import store
    from portal.standard import clock

    tmp = tmp or workdir()
    people = subscribers(parties)
    world = MockWorld("--data", str(write_demo_data(tmp / "data", [(p, None) for p in people], seed=5000)))
    sink = SmtpSink()
    try:
        cfg = build(portal_doc(world.url, test_database(tmp), settings={"fresh_s": 0.0}, lookup_deadline_s=None))
        cfg = dataclasses.replace(cfg, smtp=SmtpConfig(host="127.0.0.1", port=sink.port, starttls=False),
                                  notify=dataclasses.replace(cfg.notify, refresh_interval_s=0.0,
                                                             max_refreshes_per_pass=parties))
        app = create_app({"TESTING": True, "PORTAL": cfg})
        with app.test_request_context():
            s = store()
            for i, pnr in enumerate(people):
                handle = s.user_for(pnr, f"Prenumerant {i}")
                s.set_notice_address(handle, f"p{i}@example.se", "sv")
                s.confirm_notice_address(handle, f"p{i}@example.se")
                s.save_notice_choices(handle, "immediate", [pnr], "sv")

        def one_pass(label: str) -> dict:
            admin(world, "DELETE", "/stats")
            before = len(sink.received)
            t0 = time.monotonic()
            with app.test_request_context(base_url=cfg.notify.base_url):
                report = run_pass()
            seconds = time.monotonic() - t0
            agency_bytes, agency_requests = producer_bytes(world, SLUGS)
            row = {"seconds": round(seconds, 1), "agency_requests": agency_requests, "agency_bytes": agency_bytes,
                   "messages": len(sink.received) - before,
                   "parties_refreshed": report.refreshed}
            log(f"P12 {label}: {row}")
            return row

        cold = one_pass("cold pass")
        changed = people[::10]
        for n, pnr in enumerate(changed):
            event = _events(pnr, 3, [{"slug": "skatteverket", "prefix": "SKV", "namn": "Skatteverket"}],
                            seed=9000 + n)["skatteverket"][2]  # the third shape is a request for more information
            event.update({"kundhandelseId": f"p12-{pnr}", "tidpunkt": clock.now().replace(microsecond=0).isoformat(),
                          "producentarendetKraverKundatgard": True, "producentarendetKlart": False,
                          "utokadInformation": {"senastDatum": str(clock.today() + dt.timedelta(days=30))}})
            admin(world, "PUT", "/producers/skatteverket/events", event)
        warm = one_pass("after new events")
        app.extensions["portal"].config = dataclasses.replace(
            cfg, notify=dataclasses.replace(cfg.notify, refresh_interval_s=3600.0))
        cfg = app.extensions["portal"].config
        quiet = one_pass("within the refresh interval")
        peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return {"parties": parties, "changed_parties": len(changed), "cold": cold, "after_new_events": warm,
                "within_interval": quiet, "peak_rss_mb": peak_mb}
    finally:
        sink.stop()
        world.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.notify_pass", description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, default=1000)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.parties), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
