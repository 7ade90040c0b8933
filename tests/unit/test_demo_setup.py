"""`make demo` with other ports: the portal follows MOCK_PORT, a taken port is named before anything starts, and the
README lists the demo identities `make demo` prints."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

from portal.config import load

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "demo_setup.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False)


def _listening() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_the_portal_follows_the_chosen_mock_port(tmp_path):
    r = _run("config", "--mock-port", "9181", "--portal-port", "9180")
    assert r.returncode == 0, r.stderr
    assert ":8081" not in r.stdout and ":8080" not in r.stdout
    path = tmp_path / "demo.toml"
    path.write_text(r.stdout, encoding="utf-8")
    cfg = load(path, env={"PORTAL_DEMO": "1"}, testing=True)
    assert cfg.producers and all(p.url.startswith("http://127.0.0.1:9181/") for p in cfg.producers)
    assert cfg.ombud.url.startswith("http://127.0.0.1:9181/") and cfg.ombud.token_url.startswith("http://127.0.0.1:9181/")
    assert cfg.signatory.url.startswith("http://127.0.0.1:9181/")
    assert cfg.notify.base_url == "http://127.0.0.1:9180"  # links in notices reach this portal


def test_a_taken_port_is_named_with_its_variable_and_a_way_out():
    with _listening() as busy:
        port = busy.getsockname()[1]
        r = _run("check-ports", f"mock={port}", "portal=0")
    assert r.returncode == 1
    assert f"Port {port} on 127.0.0.1 (the mock agencies, MOCK_PORT) is taken" in r.stderr
    assert "make demo MOCK_PORT=" in r.stderr
    assert "PORTAL_PORT=0 is not a port number" in r.stderr
    assert r.stdout == ""


def test_free_ports_pass_and_one_port_for_two_servers_does_not():
    with _listening() as probe:
        free = probe.getsockname()[1]
    assert _run("check-ports", f"mock={free}").returncode == 0
    r = _run("check-ports", f"mock={free}", f"portal={free}")
    assert r.returncode == 1 and "needs a port of its own" in r.stderr


def test_make_demo_checks_the_ports_before_it_prints_the_portal_line():
    """The recipe as make would run it (dry run: nothing starts)."""
    r = subprocess.run(["make", "-n", "demo", "MOCK_PORT=9181", "PORTAL_PORT=9180"], cwd=ROOT, capture_output=True, check=False,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    check = out.index("demo_setup.py check-ports mock=9181 portal=9180")
    config = out.index("demo_setup.py config --mock-port 9181 --portal-port 9180 > instance/demo.toml")
    assert check < config < out.index("Portal: http://127.0.0.1:9180/")
    assert "PORTAL_CONFIG=instance/demo.toml" in out and "--port 9181" in out


def test_the_readme_lists_the_identities_make_demo_prints():
    printed = json.loads((ROOT / "mock_producers" / "data" / "_identiteter.json").read_text(encoding="utf-8"))
    wanted = [(p["namn"], p["pnr"]) for p in printed["identiteter"]]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| who | personnummer |"):]
    table = table[:table.index("\n\n")]
    listed = re.findall(r"^\| ([^|]+?) \| (\d{12}) \|", table, re.MULTILINE)
    assert listed == wanted
