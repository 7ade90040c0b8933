"""Start a server for a test as its own process, wait until it serves, keep what it writes, stop it.

One launcher for every server the tests and benchmarks run (the mock world, the portal under gunicorn, the
conformance kit's test servers, the OpenID provider): its output (stdout and stderr) goes to a file, since a
pipe nobody reads fills up and blocks the server; at stop it is handed to the privacy scan and returned.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

import requests

import privacyscan

ROOT = Path(__file__).resolve().parents[1]


class NotStarted(RuntimeError):
    """The server exited, or did not get ready in time; the message holds what it wrote."""


class Launched:
    """A running server process.

    Ready when ``printed`` (a regex) matches a line of its output (``self.match`` holds the match: a server that
    listens on port 0 prints where), or when ``ready_url`` answers any HTTP status, and then ``ready(self)``
    (e.g. gunicorn's workers are up) is true. ``scan``: hand the output to the privacy scan at stop (a server that must
    never log an identity number); ``log_path``: keep the output there (else a temporary file, removed at stop).
    """

    def __init__(self, name: str, argv: list[str], *, env: dict | None = None, cwd: Path = ROOT,
                 printed: str | None = None, ready_url: str | None = None,
                 ready: Callable[[Launched], bool] | None = None, timeout_s: float = 60, scan: bool = True, log_path: Path | None = None):
        self.name = name
        self.scan = scan
        self.stopped_log: str | None = None
        self.keep_log = log_path is not None
        if log_path is None:
            handle, name_ = tempfile.mkstemp(prefix=re.sub(r"\W+", "-", name) + "-", suffix=".log")
            os.close(handle)
            log_path = Path(name_)
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True)
        self.match: re.Match | None = None
        try:
            self._wait(printed, ready_url, ready, timeout_s)
        except NotStarted:
            self.stop()
            raise

    def _wait(self, printed, ready_url, ready, timeout_s: float) -> None:
        pattern = re.compile(printed, re.M) if printed else None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if pattern is not None and self.match is None:
                self.match = pattern.search(self.output())
            if self.proc.poll() is not None and self.match is None:
                raise NotStarted(f"{self.name} exited ({self.proc.returncode}) before it served:\n{self.output()}")
            if (pattern is None or self.match is not None) and (ready_url is None or _answers(ready_url)) \
                    and (ready is None or ready(self)):
                return
            time.sleep(0.1)
        raise NotStarted(f"{self.name} was not ready within {timeout_s:g} s:\n{self.output()}")

    def output(self) -> str:
        """What the server wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace_s: float = 10) -> str:
        """SIGTERM, then SIGKILL after ``grace_s``; returns what the server wrote (again, if asked twice)."""
        if self.stopped_log is not None:
            return self.stopped_log
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        text = self.output()
        if not self.keep_log:
            self.log_path.unlink(missing_ok=True)
        if self.scan:
            privacyscan.add(f"{self.name} log", text)
        self.stopped_log = text
        return text


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
        return True
    except requests.RequestException:
        return False
