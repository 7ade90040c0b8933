"""The portal as a real server (gunicorn) on a free loopback port, pointed at a running mock world."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Callable

from launcher import Launched
from testconfig import portal_doc, write_toml
from testdb import test_database

ROOT = Path(__file__).resolve().parents[1]


def worker_pids(master_pid: int) -> list[int]:
    """gunicorn's workers: the processes whose parent is the master."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), None)
        if ppid == str(master_pid):
            pids.append(int(entry.name))
    return sorted(pids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PortalServer:
    """``gunicorn 'portal:create_app()'`` in demo mode, with its own database and config."""

    def __init__(self, mock_url: str, workdir: Path, *, workers: int = 1, extra_config: dict | None = None,
                 edit: Callable[[dict], None] | None = None, env: dict | None = None, port: int | None = None,
                 database: str | None = None, **settings):
        """``settings`` are ``[portal]`` keys; ``extra_config`` top-level tables (``testconfig.portal_doc``'s
        ``tables``: an ``oidc`` or ``smtp`` table replaces the demo's, a list of ``producer`` tables adds
        agencies); ``edit`` a function that changes the config dict further, in place; ``env`` adds variables
        (e.g. the secret such a producer's ``api_key_env`` names); ``port``: free_port(); ``database``: a new one
        (``testdb.test_database``), or one several portals share."""
        # A loaded machine can take over the demo's 2 s to answer; tests of failures set faults instead.
        doc = portal_doc(mock_url, database or test_database(workdir), settings=settings, tables=extra_config,
                         agency_timeout_s=8.0)
        if edit is not None:
            edit(doc)
        self.database = doc["portal"]["database"]
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = write_toml(doc, workdir / "portal.toml")
        env = {**os.environ, **(env or {}), "PORTAL_CONFIG": str(config), "PORTAL_DEMO": "1",
               "PORTAL_DATABASE": self.database, "PORTAL_SECRET_KEY": "browser-test-secret-key-0123456789"}
        self.env = env  # what another process of this portal (e.g. `flask --app portal notify`) needs
        self.server = Launched(
            "portal server",
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "4",
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "portal:create_app()"],
            env=env, ready_url=self.url + "/login", timeout_s=20)
        self.proc = self.server.proc
        self.log_path = self.server.log_path

    def output(self) -> str:
        """What gunicorn and the portal logged so far."""
        return self.server.output()

    def stop(self) -> str:
        """Stop the server; returns what it logged."""
        return self.server.stop()
