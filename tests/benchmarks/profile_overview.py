"""Where the time of a warm overview goes (P2): cProfile around ``GET /`` in-process.

    python -m tests.benchmarks.profile_overview --mock-url http://127.0.0.1:PORT [--pnr 199303032230] [--runs 3]
        [--database postgresql://...]

The app is ``portal.create_app()`` with the demo config pointed at a running mock world, its own database (an
SQLite file in a temporary folder, or ``--database``: e.g. a new, empty PostgreSQL database), ``fresh_s`` = 1 h (so the profiled loads are warm: no producer is asked), and Flask's test
client. It logs in through the real form, loads the overview once (fills the cache and compiles the
templates), then profiles ``--runs`` warm loads. Prints a per-stage breakdown (cumulative time of the portal's own
functions per load) and the top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# (label, file suffix, function name or names): the stages of a page, cumulative time per load. A stage whose
# function was renamed shows 0.0; the top-functions list below still shows where the time went.
STAGES = [
    ("whole request (test client GET /)", "flask/app.py", "wsgi_app"),
    ("cases.overview (the view)", "portal/web/cases.py", "overview"),
    ("  flask-login user loader (session read)", "portal/web/auth.py", "load_user"),
    ("  sync.refresh (sync state reads; no fetch when warm)", "portal/sync.py", "refresh"),
    ("  caselist.overview_page (section query, page rows, unread counts)", "portal/caselist.py", "overview_page"),
    ("    store unread_counts", "portal/store/cases.py", "unread_counts"),
    ("  render_template (Jinja, whole page)", "flask/templating.py", "render_template"),
    ("  audit.record", "portal/audit.py", "record"),
    ("across the request: flask_babel get_translations (each _() in templates)", "flask_babel/__init__.py",
     "get_translations"),
    ("across the request: url_for", "flask/app.py", "url_for"),
    ("across the request: every statement through the store (SQLAlchemy exec_driver_sql)",
     "sqlalchemy/engine/base.py", "exec_driver_sql"),
    ("  of it in SQLite itself (sqlite3 Cursor.execute)", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("  of it in psycopg, PostgreSQL's driver (Cursor.execute)", "psycopg/cursor.py", "execute"),
]


def _login(client, pnr: str) -> None:
    form = client.get("/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', form.data).group(1).decode()
    r = client.post("/login", data={"csrf_token": token, "personnummer": pnr})
    if r.status_code != 302:
        raise RuntimeError(f"log-in answered {r.status_code}")


def _wait_until_stored(database: str, pnr: str, timeout_s: float = 180) -> None:
    """Wait until the late answers of the first load are stored (the count of the party's events stops growing).

    Profiling while they are written would time the import: a page's audit insert then waits for the write lock.
    """
    from tests.benchmarks.world import stored_events
    last, steady_since, t0 = -1, time.monotonic(), time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        n = stored_events(database, pnr)
        if n != last:
            last, steady_since = n, time.monotonic()
        elif time.monotonic() - steady_since > (1.0 if n > 0 else 3.0):  # a party with no events: 3 s of none
            return
        time.sleep(0.1)


def _stage_times(stats: pstats.Stats, runs: int) -> list[tuple[str, float]]:
    out = []
    for label, suffix, name in STAGES:
        total = 0.0
        for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
            if (func == name if isinstance(name, str) else func in name) and filename.endswith(suffix):
                total = max(total, ct)  # recursive entries repeat the same cumulative time
        out.append((label, total / runs))
    return out


def profile(mock_url: str, pnr: str, runs: int, json_out: str | None = None, database: str | None = None,
            path: str = "/") -> str:
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-profile-"))
    sys.path.insert(0, str(ROOT / "tests"))
    from testconfig import portal_doc, write_toml
    from testdb import test_database
    database = database or test_database(tmp)
    config = write_toml(portal_doc(mock_url, database, lookup_deadline_s=None), tmp / "portal.toml")
    os.environ.update({"PORTAL_CONFIG": str(config), "PORTAL_DEMO": "1", "PORTAL_DATABASE": database,
                       "PORTAL_FRESH_S": "3600", "PORTAL_LOGIN_RATE_LIMIT": "100000 per minute",
                       "PORTAL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123"})
    import logging

    from portal import create_app
    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)  # the portal's JSON request logs are not what we measure
    client = app.test_client()
    _login(client, pnr)
    t0 = time.perf_counter()
    first = client.get("/")
    cold = time.perf_counter() - t0
    assert first.status_code == 200  # the first load also compiled the templates
    _wait_until_stored(database, pnr)
    if path == "first-case":  # the first case the overview links to (P9's case page)
        found = re.search(rb'href="(/arende/[A-Za-z0-9]+)"', client.get("/").data)
        if found is None:
            raise RuntimeError("no case link on the overview")
        path = found.group(1).decode()
    client.get(path)  # warm: every agency's answer is stored
    profiler = cProfile.Profile()
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        profiler.enable()
        r = client.get(path)
        profiler.disable()
        walls.append(time.perf_counter() - t0)
        assert r.status_code == 200
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.dump_stats(str(tmp / "overview.pstats"))
    for leftover in tmp.iterdir():  # keep only the profile: the database holds 10,000 events
        if leftover.name != "overview.pstats":
            leftover.unlink()
    size = len(r.data)
    cases = r.data.count(b'<li class="case-card ')
    out.write(f"Profile of a warm GET {path}, party {pnr}: {cases} cases, "
              f"{size / 1e3:.0f} kB of HTML. In-process (Flask test client), cProfile on.\n")
    out.write(f"  first load (fills the cache) {cold * 1000:.0f} ms, "
              f"profiled warm loads {', '.join(f'{w * 1000:.0f}' for w in walls)} ms (cProfile adds overhead)\n\n")
    out.write("Per-stage cumulative time per load (ms; nested stages are included in their parents):\n")
    stages = _stage_times(stats, runs)
    for label, seconds in stages:
        out.write(f"  {seconds * 1000:9.1f}  {label}\n")
    if json_out:
        Path(json_out).write_text(json.dumps({label.strip(): round(seconds * 1000, 1) for label, seconds in stages},
                                             ensure_ascii=False, indent=1), encoding="utf-8")
    out.write("\nTop functions by own time (all loads together):\n")
    stats.sort_stats("tottime").print_stats(18)
    out.write(f"\nFull profile: {tmp / 'overview.pstats'} (python -m pstats)\n")
    text = out.getvalue()
    # pstats prints absolute paths; shorten the venv and repo prefixes for reading.
    return text.replace(str(ROOT) + "/.venv/lib/python3.11/site-packages/", "").replace(str(ROOT) + "/", "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.profile_overview", description=__doc__.splitlines()[0])
    parser.add_argument("--mock-url", required=True, help="a running mock world (python -m mock_producers ...)")
    parser.add_argument("--pnr", default="199303032230", help="whose overview (default: the --scale-person person)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="also write the per-stage times (ms per load) to this file")
    parser.add_argument("--path", default="/", help="the page to profile, e.g. /alla or first-case (the first case "
                        "the overview links to), after the overview filled the cache; stages not on that page show 0.0")
    parser.add_argument("--database", help="the portal's database (default: a new SQLite file); a PostgreSQL URL "
                        "must name an empty database or one this profile made")
    args = parser.parse_args(argv)
    print(profile(args.mock_url, args.pnr, args.runs, args.json, args.database, args.path))
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
