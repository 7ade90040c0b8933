"""Instructions per warm request, counted by valgrind's callgrind: a figure that does not move with the machine.

    python -m tests.benchmarks.instructions [--requests 10] [--out instructions.json]

Wall times on this machine move with its own speed (the same CPU loop takes 64-146 ms within minutes), and perf's
hardware counters are "not supported" here. Callgrind counts the instructions a process executes, whatever else the
machine is doing. Each page is requested in-process (Flask's test client, as ``profile_overview.py`` does) by a
child Python under ``valgrind --tool=callgrind --instr-atstart=no``, which logs in, loads the page three times
(templates compiled, caches filled) and only then switches instrumentation on (``callgrind_control -i on``) for
``--requests`` loads. Hash seeds are fixed (``PYTHONHASHSEED=0``). The caches were filled beforehand, by a child
without valgrind, so no agency is asked while counting (``fresh_s`` = 1 h).

Pages: the warm overview of the 10,000-event party (P2's page), its first case (P9's case page), Karin's overview
(one of P6's pages), "everyone I represent" (``/alla``) for the demo accountant, and P1's page: a cold overview, each
request a person the portal has never seen (24 events over the eight agencies, answering at once), logged in with
instrumentation off. The world is the bench's (``world.py``: demo data plus its generated persons).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LARGE = "199303032230"
PAGES = [("P2 overview, 10,000 events", LARGE, "/"), ("P9 first case, 10,000-event party", LARGE, "first-case"),
         ("P6 overview, Karin (demo)", "198504124564", "/"), ("P10 /alla, accountant (demo)", "196601013458", "/alla"),
         ("P1 cold overview, a new person each", None, "cold")]

CHILD = r'''
import os, re, subprocess, sys, time, logging
sys.path.insert(0, os.environ["CG_ROOT"])
from portal import create_app
app = create_app(); logging.getLogger().setLevel(logging.WARNING)
def logged_in(pnr):
    c = app.test_client()
    form = c.get("/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', form.data).group(1).decode()
    assert c.post("/login", data={"csrf_token": token, "personnummer": pnr}).status_code == 302
    return c
def instrument(on):
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True,
                   capture_output=True)
path = os.environ["CG_PATH"]
if path == "cold":  # each load a person never seen: logged in with instrumentation off, then GET / counted
    cold = os.environ["CG_COLD"].split(",")
    for pnr in cold[:3]:
        assert logged_in(pnr).get("/").status_code == 200
    for pnr in cold[3:3 + int(os.environ["CG_N"])]:
        c = logged_in(pnr)
        instrument(True)
        c.get("/")
        instrument(False)
    sys.exit(0)
c = logged_in(os.environ["CG_PNR"])
if path == "first-case":
    path = re.search(rb'href="(/arende/[A-Za-z0-9]+)"', c.get("/").data).group(1).decode()
if os.environ.get("CG_FILL"):  # without valgrind: fill the cache and wait until every late answer is stored
    from tests.benchmarks.world import stored_events
    c.get(path)
    last, still = -1, time.monotonic()
    while time.monotonic() - still < 2.0:
        n = stored_events(os.environ["PORTAL_DATABASE"], os.environ["CG_PNR"])
        if n != last:
            last, still = n, time.monotonic()
        time.sleep(0.2)
    sys.exit(0)
for _ in range(3):
    assert c.get(path).status_code == 200
instrument(True)
for _ in range(int(os.environ["CG_N"])):
    c.get(path)
instrument(False)
'''


def _count(env: dict, out: Path) -> int:
    r = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                        sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=900)
    found = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not found:
        raise RuntimeError(f"callgrind run failed ({r.returncode}): {r.stderr[-800:]}")
    return int(found.group(1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10, help="loads counted per page (default 10)")
    parser.add_argument("--out", default=str(ROOT / "instructions.json"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from testconfig import portal_doc, write_toml
    from testdb import test_database
    from tests.benchmarks.world import Persons, start_world, write_data_dir
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-instructions-"))
    persons = Persons()
    world = start_world(write_data_dir(tmp / "data", persons))
    results = {}
    try:
        database = test_database(tmp)
        config = write_toml(portal_doc(world.url, database, lookup_deadline_s=None), tmp / "portal.toml")
        base = {**os.environ, "PORTAL_CONFIG": str(config), "PORTAL_DEMO": "1", "PORTAL_DATABASE": database,
                "PORTAL_FRESH_S": "3600", "PORTAL_LOGIN_RATE_LIMIT": "100000 per minute",
                "PORTAL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123", "PYTHONHASHSEED": "0",
                "CG_ROOT": str(ROOT), "PYTHONPATH": str(ROOT)}
        for label, pnr, path in PAGES:
            env = {**base, "CG_PNR": pnr or "", "CG_PATH": path, "CG_N": str(args.requests),
                   "CG_COLD": ",".join(persons.cold)}
            if path != "cold":
                subprocess.run([sys.executable, "-c", CHILD], env={**env, "CG_FILL": "1"}, check=True,
                               capture_output=True, timeout=600)
            t0 = time.monotonic()
            total = _count(env, tmp / "callgrind.out")
            per = total / args.requests
            results[label] = {"instructions_per_request": round(per), "requests": args.requests,
                              "seconds_under_valgrind": round(time.monotonic() - t0, 1)}
            print(f"{label:40} {per / 1e6:8.2f} M instructions per request ({args.requests} requests)", flush=True)
    finally:
        world.stop()
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
