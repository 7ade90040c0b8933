"""A/B: the gunicorn workers' CPU per warm request, for this tree against another revision, in alternating rounds.

    python -m tests.benchmarks.ab --base REV [--paths /,/healthz] [--rounds 8] [--clients 8] [--round-s 2.5]
    python -m tests.benchmarks.ab --paths /,/healthz      # no --base: the paths of this tree against each other

Why: on this kind of machine the speed moves by up to 2x within seconds, so two bench runs minutes apart cannot show
a change of a few percent, and a sampling profiler can mislead (py-spy counted threads waiting to take the
interpreter lock back after zlib as busy in zlib: 18 % of samples for what this A/B showed to be under 1 %). Here
both portals (or paths) meet the same moments: each round loads one, then the other, in turn (ABBA), and the CPU
the workers used per request (from /proc, not wall time) is compared round by round. The rounds still scatter by
about 10 % on this machine (ten rounds of identical overview code: median ratio 1.05, range 0.91-1.20): use twenty
rounds or more, and ``make bench-instructions`` where it measures the page in question.

``--base``: a git worktree of REV is made in a temporary folder (the compiled translations copied in) and removed
at the end; both portals run on the same mock world, each with its own SQLite database, 2 workers x 4 threads, as
P6. The clients are the six demo identities (round robin), logged in, on keep-alive light clients (as P6's).
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.benchmarks import world as world_mod
from tests.benchmarks.client import User
from tests.benchmarks.run import BENCH_SETTINGS, DEMO_IDENTITIES
from tests.launcher import Launched

ROOT = Path(__file__).resolve().parents[2]


def _worktree(rev: str, into: Path) -> Path:
    path = into / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(path), rev], check=True)
    for mo in ROOT.glob("translations/*/LC_MESSAGES/messages.mo"):  # compiled files are not in git
        shutil.copy(mo, path / mo.relative_to(ROOT))
    return path


def _portal(tree: Path, mock_url: str, workdir: Path) -> world_mod.Portal:
    world_mod.Launched = functools.partial(Launched, cwd=tree)  # gunicorn imports `portal` from its working folder
    try:
        return world_mod.Portal(mock_url, workdir, workers=2, database=str(workdir / "portal.db"), **BENCH_SETTINGS)
    finally:
        world_mod.Launched = Launched


def _round(portal: world_mod.Portal, clients: list, path: str, seconds: float) -> tuple[float, float]:
    """One load round: (worker CPU ms per request, requests per second)."""
    stop = time.monotonic() + seconds
    counts: list[int] = []

    def work(light):
        n = 0
        while time.monotonic() < stop:
            light.get(path)
            n += 1
        counts.append(n)

    cpu0, t0 = portal.worker_cpu_s(), time.monotonic()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    n = sum(counts)
    return (portal.worker_cpu_s() - cpu0) / n * 1000, n / (time.monotonic() - t0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="a git revision to compare this tree with")
    parser.add_argument("--paths", default="/", help="comma-separated paths (each compared, or each measured)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--round-s", type=float, default=2.5)
    args = parser.parse_args(argv)
    paths = args.paths.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="portal-ab-"))
    persons = world_mod.Persons()
    world = world_mod.start_world(world_mod.write_data_dir(tmp / "data", persons))
    trees = {"this tree": ROOT}
    portals: dict[str, world_mod.Portal] = {}
    try:
        if args.base:
            trees = {f"base {args.base}": _worktree(args.base, tmp), "this tree": ROOT}
        for name, tree in trees.items():
            portals[name] = _portal(tree, world.url, tmp / name.replace(" ", "-"))
        clients = {}
        for name, portal in portals.items():
            clients[name] = []
            for i in range(args.clients):
                user = User(portal.url, DEMO_IDENTITIES[i % len(DEMO_IDENTITIES)])
                light = user.light()
                for path in paths:  # warm: caches filled, templates compiled
                    light.get(path)
                    light.get(path)
                clients[name].append(light)
        arms = [(name, path) for name in portals for path in paths]
        results: dict[tuple[str, str], list[tuple[float, float]]] = {arm: [] for arm in arms}
        for r in range(args.rounds):
            for name, path in (arms if r % 2 == 0 else arms[::-1]):
                results[(name, path)].append(_round(portals[name], clients[name], path, args.round_s))
        for (name, path), rows in results.items():
            cpu, rate = [c for c, _ in rows], [q for _, q in rows]
            print(f"{name} {path}: worker CPU per request median {statistics.median(cpu):.2f} ms "
                  f"(min {min(cpu):.2f}, max {max(cpu):.2f}); {statistics.median(rate):.1f} req/s")
        if args.base:
            base, new = list(portals)
            for path in paths:
                ratios = [b[0] / a[0] for a, b in zip(results[(base, path)], results[(new, path)])]
                print(f"{path}: this tree / base, CPU per request, paired by round: median "
                      f"{statistics.median(ratios):.3f} ({', '.join(f'{x:.3f}' for x in ratios)})")
    finally:
        for portal in portals.values():
            portal.stop()
        world.stop()
        if args.base:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "base")], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
