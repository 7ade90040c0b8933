"""``make loadtest``: the full bounded load run (issue 5), 50 sessions x 200 requests against gunicorn.

    .venv/bin/python tests/load/run_full.py [--sessions 50] [--requests 200] [--workers 2] [--seed 1]
    .venv/bin/python -m tests.load ...          (the same)

Starts its own mock world (demo data) and portal (gunicorn, 2 workers x 4 threads, demo mode, its own database,
the log-in rate limit lifted) on free 127.0.0.1 ports, runs ``loadrun.run_load``, prints a summary, stops both, and
exits 1 on any error, leak, unstable memory (rule in ``loadrun.MEMORY_RULE``) or identity number in the logs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):  # loadrun; mockworld, portalserver, privacyscan (as the tests import them)
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import loadrun  # noqa: E402
import privacyscan  # noqa: E402
from mockworld import MockWorld  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--requests", type=int, default=200, help="requests per session, log-in included")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-growth", type=float, default=0.20, help="allowed RSS growth in the second half")
    ap.add_argument("--max-duration", type=float, default=600, help="seconds; users stop sending after this")
    ap.add_argument("--no-prime", action="store_true",
                    help="do not log each person in once before the run (shows the first-log-in race, a known bug)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)

    t_start = time.monotonic()
    world = MockWorld()
    portal = None
    try:
        portal = loadrun.start_portal(world.url, Path(tempfile.mkdtemp(prefix="portal-load-")), workers=args.workers)
        print(f"load: {args.sessions} sessions x {args.requests} requests against {portal.url} "
              f"(gunicorn, {args.workers} workers x 4 threads), mock world {world.url}", flush=True)
        result = loadrun.run_load(portal.url, args.sessions, args.requests, master_pid=portal.proc.pid,
                                  seed=args.seed, max_growth=args.max_growth, max_duration=args.max_duration,
                                  server_log=portal.log_path, prime=not args.no_prime)
    finally:
        if portal is not None:
            portal.stop()
        world.stop()
    privacy = privacyscan.findings()

    print()
    print(result.table())
    print(f"{'memory rule'.ljust(27)}  {result.memory_rule}")
    print(f"{'privacy scan of the logs'.ljust(27)}  {len(privacy)} finding(s)")
    print(f"{'total time'.ljust(27)}  {time.monotonic() - t_start:.1f} s (start-up and shut-down included)")
    if args.json:
        args.json.write_text(json.dumps({
            "sessions": result.sessions, "requests_per_session": result.requests_per_session,
            "requests": result.requests, "wall_s": round(result.wall_s, 2), "req_per_s": round(result.req_per_s, 1),
            "p50_ms": round(result.p(50) * 1000, 1), "p95_ms": round(result.p(95) * 1000, 1),
            "errors": result.errors, "leaks": result.leaks, "switches": result.switches,
            "statuses": {f"{k} {s}": n for (k, s), n in sorted(result.statuses.items(), key=str)},
            "rss_kb": {"start": result.rss_start_kb, "mid": result.rss_mid_kb, "end": result.rss_end_kb},
            "rss_growth": result.rss_growth, "memory_stable": result.memory_stable, "memory_rule": result.memory_rule,
            "samples": [{"t": s.t, "done": s.done, "rss_kb": s.rss_kb} for s in result.samples],
        }, indent=1), encoding="utf-8")
    failed = [name for name, bad in (("errors", result.errors), ("leaks", result.leaks),
                                     ("memory", result.memory_stable is False), ("privacy", privacy)) if bad]
    print("\nRESULT: " + ("FAIL (" + ", ".join(failed) + ")" if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
