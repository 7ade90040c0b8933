"""``make demo``'s set-up: check that its ports are free, and write the portal's config for the chosen ports.

    python scripts/demo_setup.py check-ports mock=8081 portal=8080 [oidc=8082]
    python scripts/demo_setup.py config --mock-port 8081 --portal-port 8080 > instance/demo.toml

``check-ports`` runs before anything starts, so a taken port is reported before the "Portal: http://..." line
(and nothing is left half started); ``config`` is the demo config (``portal/demo.toml``) with every mock-world URL
on the chosen ``MOCK_PORT`` and the notices' links on ``PORTAL_PORT``.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "portal" / "demo.toml"
DEMO_MOCK = "127.0.0.1:8081"
DEMO_PORTAL = "127.0.0.1:8080"
HOST = "127.0.0.1"
WHAT = {"mock": ("the mock agencies", "MOCK_PORT"), "portal": ("the portal", "PORTAL_PORT"),
        "oidc": ("the OpenID provider", "OIDC_PORT")}


def taken(port: int, host: str = HOST) -> str | None:
    """Why ``port`` cannot be listened on at ``host`` (None: it is free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free to a server
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def check_ports(assignments: list[str]) -> list[str]:
    """A readable line per problem in ``name=port`` assignments: a bad number, a port used twice, a taken port."""
    problems, seen = [], {}
    for item in assignments:
        name, _, value = item.partition("=")
        what, variable = WHAT.get(name, (name, name.upper()))
        if not value.isdigit() or not 0 < int(value) < 65536:
            problems.append(f"{variable}={value!s} is not a port number (1-65535).")
            continue
        port = int(value)
        if port in seen:
            problems.append(f"{variable} and {seen[port]} are both {port}: {what} needs a port of its own.")
            continue
        seen[port] = variable
        why = taken(port)
        if why:
            problems.append(f"Port {port} on {HOST} ({what}, {variable}) is taken ({why}). Stop what uses it, or "
                            f"choose another: make demo {variable}={_suggest(port)}")
    return problems


def _suggest(port: int) -> int:
    for candidate in range(port + 1000, port + 1100):
        if candidate < 65536 and taken(candidate) is None:
            return candidate
    return port + 1000


def demo_config(mock_port: int, portal_port: int) -> str:
    """The demo config with the mock world on ``mock_port`` and the portal's own links on ``portal_port``."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = text.replace(DEMO_MOCK, f"{HOST}:{mock_port}").replace(DEMO_PORTAL, f"{HOST}:{portal_port}")
    header = (f"# Written by `make demo` (scripts/demo_setup.py) from portal/demo.toml: the mock world on port "
              f"{mock_port}, the portal on {portal_port}.\n")
    return header + text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    ports = sub.add_parser("check-ports")
    ports.add_argument("assignments", nargs="+", metavar="NAME=PORT")
    config = sub.add_parser("config")
    config.add_argument("--mock-port", type=int, default=8081)
    config.add_argument("--portal-port", type=int, default=8080)
    args = parser.parse_args(argv)
    if args.what == "check-ports":
        problems = check_ports(args.assignments)
        for line in problems:
            print(f"make demo: {line}", file=sys.stderr)
        return 1 if problems else 0
    sys.stdout.write(demo_config(args.mock_port, args.portal_port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
