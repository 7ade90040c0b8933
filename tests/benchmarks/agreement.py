"""How far two runs of ``make bench`` agree: every figure of both, side by side, with the difference in percent.

    python -m tests.benchmarks.agreement first.json second.json

For each scenario it gives the figure itself (a time, a rate or a ratio) and, where the bench timed repetitions
beside a probe of the machine's speed (``detail.at_quick_moments``), the same median at the reference speed
(``calibration.at_reference_speed``): two runs that met the machine at different speeds compare on that. A
difference above 10 % is marked. Only figures both runs have are compared.
"""

from __future__ import annotations

import argparse
import json
import sys

LIMIT = 0.10


def comparable(results: dict) -> dict[str, tuple[float, float | None]]:
    """name -> (the figure, its median at the reference speed or None) of one run's ``bench-results.json``."""
    out: dict[str, tuple[float, float | None]] = {}

    def at_reference(node: dict) -> float | None:
        ref = (node.get("at_quick_moments") or {}).get("at_reference_speed")
        return ref["median"] if ref else None

    for key, r in results.items():
        if not isinstance(r, dict) or not isinstance(r.get("figure"), (int, float)):
            continue
        detail = r.get("detail", {})
        if key == "P9":  # the figure is the slowest page's: each page is compared on its own
            for page, node in (detail.get("pages") or {}).items():
                if isinstance(node, dict):
                    out[f"P9 {page}"] = (node["client_ms"]["median"], at_reference(node))
            continue
        out[key] = (r["figure"], at_reference(detail))
        across = detail.get("across")
        if isinstance(across, dict) and "client_ms" in across:
            out[f"{key} {across.get('page', 'across')}"] = (across["client_ms"]["median"], at_reference(across))
    return out


def difference(a: float | None, b: float | None) -> float | None:
    """|a - b| as a share of the smaller of the two (None when either is missing or not positive)."""
    if a is None or b is None or min(a, b) <= 0:
        return None
    return abs(a - b) / min(a, b)


def report(first: dict, second: dict) -> tuple[str, int, int]:
    """The side-by-side table; how many figures (as measured, and at the reference speed) differ by more than 10 %."""
    a, b = comparable(first), comparable(second)
    lines = [(f"| {'figure':18} | {'first':>8} | {'second':>8} | {'diff':>6} | {'first at ref.':>13} | "
              f"{'second at ref.':>14} | {'diff':>6} |"),
             "|" + "-" * 20 + "|" + "-" * 10 + "|" + "-" * 10 + "|" + "-" * 8 + "|" + "-" * 15 + "|" + "-" * 16
             + "|" + "-" * 8 + "|"]
    over = over_ref = 0

    def cell(d: float | None) -> str:
        return "" if d is None else f"{d * 100:.0f}%" + (" *" if d > LIMIT else "")

    for name in a:
        if name not in b:
            continue
        (fa, ra), (fb, rb) = a[name], b[name]
        d, dr = difference(fa, fb), difference(ra, rb)
        over += d is not None and d > LIMIT
        over_ref += (dr if dr is not None else d or 0) > LIMIT
        lines.append(f"| {name:18} | {fa:>8} | {fb:>8} | {cell(d):>6} | {'' if ra is None else ra:>13} | "
                     f"{'' if rb is None else rb:>14} | {cell(dr):>6} |")
    return "\n".join(lines), over, over_ref


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.agreement", description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args(argv)
    with open(args.first) as f1, open(args.second) as f2:
        table, over, over_ref = report(json.load(f1), json.load(f2))
    print(table)
    print(f"\nmore than {LIMIT:.0%} apart: {over} figures as measured; {over_ref} when each is taken at the reference "
          "speed where the bench gives one (as measured where it does not)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
