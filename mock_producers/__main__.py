"""``python -m mock_producers``: serve the mock agencies, forwarder and mandate registry.

    python -m mock_producers [--data DIR] [--host 127.0.0.1] [--port 8081]
        [--latency SLUG=200ms[+50ms]]... [--fault SLUG=FAULT]... [--scale-person N]
        [--no-access-check]

Keys come from env ``MOCK_PRODUCER_API_KEY``, ``MOCK_PRODUCER_CLIENT_SECRET`` and ``MOCK_ADMIN_KEY`` (demo
keys otherwise). Agencies authenticate consumers as ``state.DEMO_AUTH`` says: ``tanum`` by ``client_id`` and
``client_secret`` headers, ``lantmateriet`` by the key in ``X-Gateway-Key``, the others by ``X-API-Key``.
The registry's OAuth2 client secret comes from ``MOCK_OMBUD_CLIENT_SECRET`` and the signatory source's key
from ``MOCK_SIGNATORY_API_KEY`` (demo values otherwise).
Dates in the data files are moved to today at load (``mock_producers/dates.py``); "today" is the
shared clock's (``MINA_CLOCK_SHIFT_DAYS`` moves it, for the portal and the mock world alike).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

from .app import create_app
from .data import DEMO_DIR, DataError, add_scale_person, load_dir
from .faults import KnobError
from .server import serve
from .state import (DEMO_ADMIN_KEY, DEMO_API_KEY, DEMO_AUTH, DEMO_CLIENT_SECRET, DEMO_OMBUD_CLIENT_SECRET,
                    DEMO_SIGNATORY_KEY, MockState)


def build_state(args) -> MockState:
    producers, registry = load_dir(Path(args.data) if args.data else DEMO_DIR)
    if args.scale_person:
        add_scale_person(producers, args.scale_person)
    api_key = os.environ.get("MOCK_PRODUCER_API_KEY") or DEMO_API_KEY
    admin_key = os.environ.get("MOCK_ADMIN_KEY") or DEMO_ADMIN_KEY
    client_secret = os.environ.get("MOCK_PRODUCER_CLIENT_SECRET") or DEMO_CLIENT_SECRET
    if len(api_key) < 32 or len(admin_key) < 32 or len(client_secret) < 32:
        raise DataError("MOCK_PRODUCER_API_KEY, MOCK_PRODUCER_CLIENT_SECRET and MOCK_ADMIN_KEY must be at least"
                        " 32 characters")
    state = MockState(producers, registry, api_key=api_key, admin_key=admin_key, client_secret=client_secret,
                      auth={slug: auth for slug, auth in DEMO_AUTH.items() if slug in producers},
                      ombud_client_secret=os.environ.get("MOCK_OMBUD_CLIENT_SECRET") or DEMO_OMBUD_CLIENT_SECRET,
                      signatory_key=os.environ.get("MOCK_SIGNATORY_API_KEY") or DEMO_SIGNATORY_KEY,
                      access_check=not args.no_access_check)
    for assignment in args.latency:
        state.board.set_latency(assignment)
    for assignment in args.fault:
        state.board.set_fault(assignment)
    return state


def banner(state: MockState, directory: Path) -> str:
    """What a person starting the demo needs: where things are and whom to query for."""
    lines = [f"  producer API:  {state.self_url}/<slug>/kundhandelseFragaSynkron  (OpenAPI: /<slug>/api-docs)",
             f"  forwarder:     {state.self_url}/vidareformedling/kundhandelseFragaSynkron",
             f"  Mina ombud:    {state.self_url}/minaombud/dfm/formedlare/v1  (OAuth2: /minaombud/oauth2/token)",
             f"  signatories:   {state.self_url}/foretagsdata/firmatecknare",
             "  API key:       header X-API-Key (env MOCK_PRODUCER_API_KEY, demo key otherwise)"]
    for slug, auth in sorted(state.auth.items()):
        how = (f"headers client_id={auth.client_id} and client_secret (env MOCK_PRODUCER_CLIENT_SECRET)"
               if auth.kind == "client_headers" else f"the API key in header {auth.header}")
        lines.append(f"  {slug + ':':14} {how}")
    identities = directory / "_identiteter.json"
    if identities.exists():
        lines.append("  demo identities:")
        for person in json.loads(identities.read_text(encoding="utf-8")).get("identiteter", []):
            lines.append(f"    {person['pnr']}  {person['namn']}: {person.get('roll_en', '')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_producers", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of <slug>.json producer files and minaombud.json (default: demo data)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--latency", action="append", default=[], metavar="SLUG=200ms[+50ms]")
    parser.add_argument("--fault", action="append", default=[], metavar="SLUG=FAULT")
    parser.add_argument("--scale-person", type=int, default=0, metavar="N",
                        help="give the load-test person N events over all producers")
    parser.add_argument("--no-access-check", action="store_true", help="do not check anvandare at the producers")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s mock_producers %(levelname)s %(message)s")
    try:
        state = build_state(args)
    except (DataError, KnobError, ValueError) as exc:
        print(f"mock_producers: {exc}", file=sys.stderr)
        return 2
    app = create_app(state)
    server = serve(app, args.host, args.port)
    state.self_url = f"http://{args.host}:{server.server_port}"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # ends serve_forever via SystemExit
    print(f"Mock producers on {state.self_url}: " + ", ".join(sorted(state.producers)), flush=True)
    print(banner(state, Path(args.data) if args.data else DEMO_DIR), flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
