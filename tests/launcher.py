"""Start a server for a test as its own process, wait until it serves, keep what it writes, stop it.

One launcher for every server the tests and benchmarks run (the mock world, the portal under gunicorn, the
conformance kit's test servers, the OpenID provider): what it writes goes to files, since a pipe nobody reads
fills up and blocks the server; at stop its log is handed to the privacy scan and returned.
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

    Ready when ``printed`` (a regex) matches a line of its standard output (``self.match`` holds the match: a
    server that listens on port 0 prints where), or when ``ready_url`` answers any HTTP status, and then
    ``ready(self)`` (e.g. gunicorn's workers are up) is true.

    Its log is what it writes to stderr, and to stdout too unless ``stdout_apart`` (a server that prints a banner
    for people there, e.g. the demo identities, which is not a log). ``scan``: hand the log to the privacy scan at
    stop (a server that must never log an identity number); ``log_path``: keep the log there (else a temporary
    file, removed at stop).
    """

    def __init__(self, name: str, argv: list[str], *, env: dict | None = None, cwd: Path = ROOT,
                 printed: str | None = None, ready_url: str | None = None,
                 ready: Callable[[Launched], bool] | None = None, timeout_s: float = 60, scan: bool = True,
                 log_path: Path | None = None, stdout_apart: bool = False):
        self.name = name
        self.scan = scan
        self.stopped_log: str | None = None
        self.keep_log = log_path is not None
        self.log_path = Path(log_path) if log_path is not None else _temporary(name, ".log")
        self.stdout_path = _temporary(name, ".out") if stdout_apart else self.log_path
        self._files = [open(self.log_path, "w")]
        if stdout_apart:
            self._files.append(open(self.stdout_path, "w"))
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._files[-1], stderr=self._files[0],
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
                self.match = pattern.search(_read(self.stdout_path))
            if self.proc.poll() is not None and self.match is None:
                raise NotStarted(f"{self.name} exited ({self.proc.returncode}) before it served:\n{self._both()}")
            if (pattern is None or self.match is not None) and (ready_url is None or _answers(ready_url)) \
                    and (ready is None or ready(self)):
                return
            time.sleep(0.1)
        raise NotStarted(f"{self.name} was not ready within {timeout_s:g} s:\n{self._both()}")

    def output(self) -> str:
        """What the server logged so far."""
        return _read(self.log_path)

    def _both(self) -> str:
        """For a failure message: the log, and what it printed when that is kept apart."""
        if self.stdout_path == self.log_path:
            return self.output()
        return f"{_read(self.stdout_path)}\n{self.output()}"

    @property
    def pid(self) -> int:
        return self.proc.pid

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
        for file in self._files:
            file.close()
        text = self.output()
        if not self.keep_log:
            self.log_path.unlink(missing_ok=True)
        if self.stdout_path != self.log_path:
            self.stdout_path.unlink(missing_ok=True)
        if self.scan:
            privacyscan.add(f"{self.name} log", text)
        self.stopped_log = text
        return text


def _temporary(name: str, suffix: str) -> Path:
    handle, path = tempfile.mkstemp(prefix=re.sub(r"\W+", "-", name) + "-", suffix=suffix)
    os.close(handle)
    return Path(path)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
        return True
    except requests.RequestException:
        return False
