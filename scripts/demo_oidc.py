"""``make demo-oidc``: the test OpenID provider for the demo, and the portal config that logs in through it.

    python scripts/demo_oidc.py config --provider-port 8082 --portal-port 8080 [--mock-port 8081] > instance/demo-oidc.toml
    python scripts/demo_oidc.py provider --provider-port 8082 --portal-port 8080

The provider is the npm package oidc-provider with tests/oidc/provider.js (installed into ~/.cache on first use);
its log-in page lists test users with the demo identities' numbers, plus one at too low a level of assurance and
one without an identity number.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "scripts")]

from demo_setup import demo_config  # noqa: E402
from oidcprovider import OpenIdProvider, registration  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["config", "provider"])
    parser.add_argument("--provider-port", type=int, default=8082)
    parser.add_argument("--portal-port", type=int, default=8080)
    parser.add_argument("--mock-port", type=int, default=8081)
    args = parser.parse_args()
    portal = f"http://127.0.0.1:{args.portal_port}"
    if args.what == "config":
        print(demo_config(args.mock_port, args.portal_port))
        print(f'[oidc]\nissuer = "http://127.0.0.1:{args.provider_port}"\nclient_id = "portal"\n'
              f'redirect_url = "{portal}/login/callback"\noffer_mock_eid = false')
        return
    provider = OpenIdProvider([registration("portal", portal)], port=args.provider_port)
    print(f"  OpenID provider: {provider.issuer}/.well-known/openid-configuration", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        provider.proc.wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        provider.stop()


if __name__ == "__main__":
    main()
