"""``python -m portal.conformance``: run the kit against a producer or a registry.

    python -m portal.conformance producer URL (--api-key-env VAR [--api-key-header NAME]
        | --client-id-env VAR --client-secret-env VAR) [--customer ID ...] [--anvandare ID]
    python -m portal.conformance registry URL --client-id-env VAR --client-secret-env VAR [--token-url URL]
        [--token-auth basic|post] --holder ID [--holder-typ pnr] --tredjeman ORGNR [--tredjeman ...]

Common options: ``--json``, ``--timeout S``, ``--max-p95 S``, ``--list-checks``.
Secrets (the API key, the client id and secret) are read from the environment
variables named, never from the command line. Exit code 0 when every required
check passes, 1 when one fails, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys

from portal.standard.identity import (
    Identity,
    InvalidIdentity,
    parse_organisation,
    parse_person,
)

from . import producer_checks, registry_checks

DEFAULT_CUSTOMER = "199009091233"  # fictitious test personnummer


def customer(text: str) -> Identity:
    """A 12-digit kund identifier: personnummer, samordningsnummer, or organisation number with ``16``."""
    digits = text.strip()
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise argparse.ArgumentTypeError("give 12 digits (organisation numbers with the 16 prefix)")
    try:
        return parse_organisation(digits) if digits.startswith("16") else parse_person(digits)
    except InvalidIdentity as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def twelve_digits(text: str) -> str:
    if len(text) != 12 or not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError("give 12 digits")
    return text


def orgnr(text: str) -> str:
    """Mina ombud's tredjeman: a 10-digit organisation number, without the 16 prefix."""
    if len(text) != 10 or not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError("give the agency's 10-digit organisation number (no 16 prefix)")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m portal.conformance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("url", help="the base URL (the kit appends the operation's path)")
    common.add_argument("--json", action="store_true", help="print the report as JSON")
    common.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per request (default 10)")
    common.add_argument("--max-p95", type=float, default=2.0, metavar="S",
                        help="recommended 95th-percentile response time (default 2)")
    common.add_argument("--list-checks", action="store_true", help="list the checks and exit")

    p = sub.add_parser("producer", parents=[common], help="check a producer's kundhandelseFragaSynkron")
    p.add_argument("--api-key-env", metavar="VAR",
                   help="name of the environment variable holding the API key (never the key itself)")
    p.add_argument("--api-key-header", default="X-API-Key", metavar="NAME", help="the key's header (default X-API-Key)")
    p.add_argument("--client-id-env", metavar="VAR",
                   help="instead of a key: the variable holding the client_id header (with --client-secret-env)")
    p.add_argument("--client-secret-env", metavar="VAR", help="the variable holding the client_secret header's value")
    p.add_argument("--customer", action="append", type=customer, default=[], metavar="ID",
                   help="12-digit kund to query with (repeat; give customers that have events)")
    p.add_argument("--anvandare", type=twelve_digits, metavar="ID",
                   help="the user sent as anvandare (default: each customer itself)")

    r = sub.add_parser("registry", parents=[common], help="check a Mina ombud registry's consumer API")
    r.add_argument("--client-id-env", metavar="VAR", required=True,
                   help="name of the environment variable holding the OAuth2 client id")
    r.add_argument("--client-secret-env", metavar="VAR", required=True,
                   help="name of the environment variable holding the OAuth2 client secret")
    r.add_argument("--token-url", metavar="URL",
                   help="the OAuth2 token endpoint (default: the contract's /oauth2/token on the registry's host)")
    r.add_argument("--token-auth", choices=["basic", "post"], default="basic",
                   help="how the client authenticates at the token endpoint: HTTP Basic (default) or form fields")
    r.add_argument("--scope", default=registry_checks.SCOPE, help="the scope asked for (default fullmakt:hamta)")
    r.add_argument("--holder", required=True, metavar="ID", help="fullmaktshavare id to search for")
    r.add_argument("--holder-typ", default="pnr", choices=["pnr", "samnr", "gdnr", "orgnr"])
    r.add_argument("--tredjeman", action="append", type=orgnr, default=[], required=True, metavar="ORGNR",
                   help="10-digit organisation number of an agency the holder has mandates for (repeat)")
    return parser


def from_env(*names: str) -> list[str] | None:
    """The values of the environment variables ``names``; None (with a message) when one is unset or empty."""
    values = [os.environ.get(name) for name in names]
    for name, value in zip(names, values):
        if not value:
            print(f"conformance: environment variable {name} is not set", file=sys.stderr)
            return None
    return values


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    battery = producer_checks.battery if args.kind == "producer" else registry_checks.battery
    if args.list_checks:
        for spec in battery.specs:
            print(f"{spec.id:28} {spec.severity:11} {spec.title}")
        return 0
    options = dict(timeout=args.timeout, max_p95=args.max_p95)
    if args.kind == "producer":
        pair = args.client_id_env is not None or args.client_secret_env is not None
        if pair == (args.api_key_env is not None) or (pair and None in (args.client_id_env, args.client_secret_env)):
            parser.error("give either --api-key-env, or --client-id-env and --client-secret-env")
        secrets = from_env(*([args.client_id_env, args.client_secret_env] if pair else [args.api_key_env]))
        if secrets is None:
            return 2
        key, client_id = (secrets[1], secrets[0]) if pair else (secrets[0], None)
        customers = args.customer or [customer(DEFAULT_CUSTOMER)]
        report = producer_checks.run_producer(args.url, key, customers, anvandare=args.anvandare,
                                              key_header=args.api_key_header, client_id=client_id, **options)
    else:
        secrets = from_env(args.client_id_env, args.client_secret_env)
        if secrets is None:
            return 2
        oauth = registry_checks.OAuthClient(args.token_url or registry_checks.default_token_url(args.url),
                                            *secrets, scope=args.scope, auth_method=args.token_auth)
        report = registry_checks.run_registry(args.url, oauth, args.holder, args.tredjeman, args.holder_typ,
                                              **options)
    print(report.dumps() if args.json else report.to_text())
    return report.exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
