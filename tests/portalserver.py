"""The portal as a real server (gunicorn) on a free loopback port, pointed at a running mock world."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

import privacyscan
from testdb import test_database

from portal.config import DEMO_CONFIG

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

    def __init__(self, mock_url: str, workdir: Path, *, workers: int = 1, extra_config: str = "", edit=None,
                 env: dict | None = None, port: int | None = None, **settings):
        """``extra_config`` is TOML appended to the config (e.g. another ``[[producer]]`` or an ``[oidc]`` table; a
        ``[table]`` the demo config has, e.g. ``[smtp]``, replaces it; ``{portal_url}`` becomes this server's
        address); ``edit`` a function that changes the config text further; ``env`` adds variables (e.g. the secret
        such a producer's ``api_key_env`` names); ``port``: free_port()."""
        text = DEMO_CONFIG.read_text(encoding="utf-8").replace("http://127.0.0.1:8081", mock_url)
        # A loaded machine can take over the demo's 2 s to answer; tests of failures set faults instead.
        text = text.replace("timeout_s = 2.0", "timeout_s = 8.0")
        text = re.sub(r"^deadline_s = [0-9.]+", "deadline_s = 15.0", text, flags=re.M)  # registry, signatories
        extra = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in settings.items())
        # A key the demo config sets already (fresh_s, ...) is replaced: TOML refuses a key twice.
        head, sep, rest = text.partition("[portal]\n")
        body, nxt, tail = rest.partition("\n[")
        body = "\n".join(line for line in body.split("\n") if line.split("=")[0].strip() not in settings)
        text = head + sep + body + nxt + tail
        text = text.replace("[portal]\n", "[portal]\n" + extra + "\n", 1)
        for name in re.findall(r"^\[(\w+)\]$", extra_config, re.M):  # a table given here replaces the demo's own
            text = re.sub(rf"^\[{name}\]\n(?:(?!\[).*\n)*", "", text, flags=re.M)
        if edit is not None:
            text = edit(text)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "portal.toml"
        config.write_text(text + "\n" + extra_config.replace("{portal_url}", self.url), encoding="utf-8")
        self.log = tempfile.NamedTemporaryFile("w+", prefix="portal-", suffix=".log", delete=False)
        env = {**os.environ, **(env or {}), "PORTAL_CONFIG": str(config), "PORTAL_DEMO": "1",
               "PORTAL_DATABASE": test_database(workdir), "PORTAL_SECRET_KEY": "browser-test-secret-key-0123456789"}
        self.env = env  # what another process of this portal (e.g. `flask --app portal notify`) needs
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "4",
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "portal:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("portal did not start:\n" + Path(self.log.name).read_text())
            try:
                requests.get(self.url + "/login", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("portal did not answer within 20 s")

    def stop(self) -> str:
        """Stop the server; returns what it logged."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        text = Path(self.log.name).read_text()
        os.unlink(self.log.name)
        privacyscan.add("portal server log", text)
        return text
