"""Helpers for the conformance kit's tests: run the kit, start the deliberately broken producer.

A uniquely named module (test folders share no ``conftest`` imports).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

from portal.conformance.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
BROKEN_SCRIPT = Path(__file__).with_name("broken_producer.py")
KEY_ENV = "CONFORMANCE_TEST_API_KEY"


def run_kit(*args: str, key: str) -> tuple[int, dict]:
    """Run the kit's CLI in this process with ``--json``; (exit code, parsed report)."""
    out = io.StringIO()
    with mock.patch.dict(os.environ, {KEY_ENV: key}), contextlib.redirect_stdout(out):
        code = main([*args, "--api-key-env", KEY_ENV, "--json"])
    return code, json.loads(out.getvalue())


def run_kit_process(*args: str, key: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m portal.conformance`` as an agency would."""
    env = {**os.environ, KEY_ENV: key}
    return subprocess.run([sys.executable, "-m", "portal.conformance", *args, "--api-key-env", KEY_ENV],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def statuses(report: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["checks"]}


class BrokenProducer:
    """``broken_producer.py`` as its own process on a free loopback port; ``url`` is its base."""

    def __init__(self):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="broken_producer-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([sys.executable, str(BROKEN_SCRIPT), "--port", "0"], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("Broken producer on "):
            self.stop()
            raise RuntimeError(f"broken producer did not start: {line}{Path(self.log.name).read_text()}")
        self.url = line.split()[3]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
        self.log.close()
        os.unlink(self.log.name)
