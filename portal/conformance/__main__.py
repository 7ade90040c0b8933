"""``python -m portal.conformance``: run the kit against a producer or a registry.

    python -m portal.conformance producer URL --api-key-env VAR [--customer ID ...] [--anvandare ID]
    python -m portal.conformance registry URL --api-key-env VAR --holder ID [--holder-typ pnr]

Common options: ``--json``, ``--timeout S``, ``--max-p95 S``, ``--api-key-header NAME``,
``--list-checks``. Exit code 0 when every required check passes, 1 when one
fails, 2 for a usage error.
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m portal.conformance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("url", help="the base URL (the kit appends the operation's path)")
    common.add_argument("--api-key-env", metavar="VAR", required=True,
                        help="name of the environment variable holding the API key (never the key itself)")
    common.add_argument("--api-key-header", default="X-API-Key", metavar="NAME")
    common.add_argument("--json", action="store_true", help="print the report as JSON")
    common.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per request (default 10)")
    common.add_argument("--max-p95", type=float, default=2.0, metavar="S",
                        help="recommended 95th-percentile response time (default 2)")
    common.add_argument("--list-checks", action="store_true", help="list the checks and exit")

    p = sub.add_parser("producer", parents=[common], help="check a producer's kundhandelseFragaSynkron")
    p.add_argument("--customer", action="append", type=customer, default=[], metavar="ID",
                   help="12-digit kund to query with (repeat; give customers that have events)")
    p.add_argument("--anvandare", type=twelve_digits, metavar="ID",
                   help="the user sent as anvandare (default: each customer itself)")

    r = sub.add_parser("registry", parents=[common], help="check a Mina ombud-style sok/behorigheter")
    r.add_argument("--holder", required=True, metavar="ID", help="fullmaktshavare id to search for")
    r.add_argument("--holder-typ", default="pnr", choices=["pnr", "samnr", "gdnr", "orgnr"])
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    battery = producer_checks.battery if args.kind == "producer" else registry_checks.battery
    if args.list_checks:
        for spec in battery.specs:
            print(f"{spec.id:28} {spec.severity:11} {spec.title}")
        return 0
    key = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            print(f"conformance: environment variable {args.api_key_env} is not set", file=sys.stderr)
            return 2
    options = dict(key_header=args.api_key_header, timeout=args.timeout, max_p95=args.max_p95)
    if args.kind == "producer":
        customers = args.customer or [customer(DEFAULT_CUSTOMER)]
        report = producer_checks.run_producer(args.url, key, customers, anvandare=args.anvandare, **options)
    else:
        report = registry_checks.run_registry(args.url, key, args.holder, args.holder_typ, **options)
    print(report.dumps() if args.json else report.to_text())
    return report.exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
