"""A time line of cold overviews: when each agency was asked and answered, and when each answer was stored.

    python -m tests.benchmarks.timeline [--pages 3] [--latency-ms 200]

Where a cold page's time goes is a matter of order (which thread had the GIL when), and cProfile is blind to it:
it sees one thread and stretches every wait. This starts the bench's world (with cold persons), the portal
in-process (Flask's test client, its own SQLite file), sets every agency's latency, and prints, for a few cold
pages, each mark in ms from the start of ``GET /``, with the thread's name: the leases, the registry look-ups, each
agency's question (``post>`` when the call begins, ``post<`` when its answer is read), each batch stored
(``record``), the section query and the render. It is how session 4 found that the questions left 20-33 ms late.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.timeline", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=200)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.benchmarks.world import SLUGS, Persons, set_latencies, start_world, write_data_dir
    from testconfig import portal_doc, write_toml
    from testdb import test_database
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-timeline-"))
    persons = Persons()
    world = start_world(write_data_dir(tmp / "data", persons))
    try:
        database = test_database(tmp)
        config = write_toml(portal_doc(world.url, database, lookup_deadline_s=None), tmp / "portal.toml")
        os.environ.update({"PORTAL_CONFIG": str(config), "PORTAL_DEMO": "1", "PORTAL_DATABASE": database,
                           "PORTAL_LOGIN_RATE_LIMIT": "100000 per minute",
                           "PORTAL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123"})
        import logging

        import portal.acting as acting
        import portal.caselist as caselist
        import portal.producers as producers
        import portal.store.leases as leases
        import portal.sync as sync
        import portal.web.cases as web_cases
        from portal import create_app
        app = create_app()
        logging.getLogger().setLevel(logging.WARNING)
        start, marks = [0.0], []

        def wrap(owner, name: str, label: str) -> None:
            original = getattr(owner, name)

            def marked(*a, **kw):
                marks.append((time.perf_counter(), threading.current_thread().name, label + ">"))
                try:
                    return original(*a, **kw)
                finally:
                    marks.append((time.perf_counter(), threading.current_thread().name, label + "<"))
            setattr(owner, name, marked)

        wrap(leases.LeasesStore, "take_fetch_leases", "leases")
        wrap(acting, "_start_lookups", "look-ups started")
        wrap(producers.ProducerClient, "_post", "post")
        wrap(sync, "_record", "record")
        wrap(caselist, "overview_page", "sections")
        wrap(web_cases, "render_template", "render")
        set_latencies(world, {s: args.latency_ms for s in SLUGS})
        for n, pnr in enumerate(persons.cold[:args.pages + 1]):
            client = app.test_client()
            form = client.get("/login")
            token = re.search(rb'name="csrf_token" value="([^"]+)"', form.data).group(1).decode()
            client.post("/login", data={"csrf_token": token, "personnummer": pnr})
            marks.clear()
            start[0] = time.perf_counter()
            client.get("/")
            end = time.perf_counter()
            if n == 0:
                continue  # the first page compiles the templates
            print(f"--- cold page {n}: {(end - start[0]) * 1000:.1f} ms")
            for at, thread, what in marks:
                print(f"{(at - start[0]) * 1000:8.1f}  {thread[:12]:12}  {what}")
    finally:
        world.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
