"""Building the app moves the long-lived heap out of the garbage collector's way, once per process.

A full collection walks every object it tracks, and every thread waits while it does (86-110 ms in a worker, which
stalled cold pages: issue 16). What it has to walk is counted here, not timed: in a fresh process, after the app is
built, little is left outside the frozen generation, and building a second app does not freeze again (the test
suite builds hundreds; frozen cyclic garbage would never be collected).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import gc, json, os
from portal import create_app, heap
from portal.config import load
before = len(gc.get_objects())
first = create_app({"TESTING": True, "PORTAL": load(env={"PORTAL_DATABASE": os.environ["DB"]}, testing=True)})
walked = len(gc.get_objects())
frozen = gc.get_freeze_count()
second = create_app({"TESTING": True, "PORTAL": load(env={"PORTAL_DATABASE": os.environ["DB"]}, testing=True)})
print(json.dumps({"before": before, "walked": walked, "frozen": frozen, "again": heap.freeze_once(),
                  "frozen_after_second": gc.get_freeze_count()}))
"""


def test_after_the_app_is_built_a_full_collection_walks_little_and_a_second_app_freezes_nothing(empty_database):
    env = {**os.environ, "DB": empty_database, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["frozen"] > 50_000  # the modules, the app, its settings: all frozen
    assert counts["walked"] < counts["frozen"] / 10  # what a full collection still walks
    assert counts["again"] is False  # once per process
    assert counts["frozen_after_second"] <= counts["frozen"]  # the second app was not frozen
