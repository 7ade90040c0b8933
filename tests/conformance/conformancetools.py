"""Helpers for the conformance kit's tests: run the kit, start the test servers (broken, reference-like).

A uniquely named module (test folders share no ``conftest`` imports).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

from launcher import Launched
from portal.conformance.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
KEY_ENV = "CONFORMANCE_TEST_API_KEY"
CLIENT_ID_ENV = "CONFORMANCE_TEST_CLIENT_ID"
CLIENT_SECRET_ENV = "CONFORMANCE_TEST_CLIENT_SECRET"


def run_kit(*args: str, key: str, client_id: str | None = None) -> tuple[int, dict]:
    """Run the kit's CLI for a producer in this process with ``--json``; (exit code, parsed report).

    With ``client_id`` the producer takes ``client_id``/``client_secret`` headers and ``key`` is the secret.
    """
    out = io.StringIO()
    if client_id is None:
        env, auth = {KEY_ENV: key}, ["--api-key-env", KEY_ENV]
    else:
        env = {CLIENT_ID_ENV: client_id, CLIENT_SECRET_ENV: key}
        auth = ["--client-id-env", CLIENT_ID_ENV, "--client-secret-env", CLIENT_SECRET_ENV]
    with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out):
        code = main([*args, *auth, "--json"])
    return code, json.loads(out.getvalue())


def run_registry_kit(url: str, *args: str, client_id: str, secret: str) -> tuple[int, dict]:
    """Run the kit's CLI for a registry in this process with ``--json``; (exit code, parsed report)."""
    out = io.StringIO()
    with mock.patch.dict(os.environ, {CLIENT_ID_ENV: client_id, CLIENT_SECRET_ENV: secret}), \
            contextlib.redirect_stdout(out):
        code = main(["registry", url, *args, "--client-id-env", CLIENT_ID_ENV,
                     "--client-secret-env", CLIENT_SECRET_ENV, "--json"])
    return code, json.loads(out.getvalue())


def run_kit_process(*args: str, key: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m portal.conformance`` as an agency would."""
    env = {**os.environ, KEY_ENV: key}
    return subprocess.run([sys.executable, "-m", "portal.conformance", *args, "--api-key-env", KEY_ENV],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def statuses(report: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["checks"]}


class ScriptServer:
    """A test server script of this folder as its own process on a free loopback port; ``url`` is its base.

    The script prints ``<Name> on <url>`` once it listens.
    """

    def __init__(self, script: str, *args: str):
        self.server = Launched(Path(script).stem, [sys.executable, str(HERE / script), "--port", "0", *args],
                               printed=r" on (http://\S+)", scan=False, stdout_apart=True)
        self.url = self.server.match.group(1)

    def stop(self) -> None:
        self.server.stop()
