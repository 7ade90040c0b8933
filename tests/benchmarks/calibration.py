"""What this machine does in a fixed amount of work, printed beside the figures so runs on two machines compare.

Four probes, each the median of several repetitions: a pure-Python CPU loop, an fsync of a small file in the
bench's temporary folder, a TCP round trip of one byte over loopback, and an SQLite insert + commit under WAL
with ``synchronous=NORMAL`` (what a page view's audit row costs). When the run measures PostgreSQL, a fifth: an
insert + commit on the bench's PostgreSQL server (``postgres.commit_ms``: a loopback round trip and a WAL flush).
A figure twice as slow beside a CPU loop twice as slow says "the machine", not "the code".
"""

from __future__ import annotations

import os
import socket
import sqlite3
import statistics
import threading
import time
from pathlib import Path

BUSY_LOAD = 0.5  # a 1-minute load average above this at the start makes the run's figures not valid
SPEED_DRIFT = 1.2  # the CPU loop slower than this times the run's quickest: the figure came at a slow moment


LOOP_ITERATIONS = 2_000_000


def _loop_ms(iterations: int, repeats: int) -> float:
    """The median time of ``repeats`` runs of the loop's first ``iterations`` steps, scaled to the whole loop (ms)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        total = 0
        for i in range(iterations):
            total += i * i
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000 * LOOP_ITERATIONS / iterations


def cpu_loop_ms(repeats: int = 5) -> float:
    """A fixed pure-Python loop (2 million additions and multiplications)."""
    return _loop_ms(LOOP_ITERATIONS, repeats)


# The machine's speed at one moment: a slice of the CPU loop (about 2 ms at this kind of machine's quick speed),
# taken before and after each repetition of a warm page. This kind of machine runs the whole loop in about 66 ms at
# its quick moments (the calibration line of every quiet run so far: 63-67 ms) and in up to twice that at slow
# ones. The repetitions that ran at a quick moment (the loop within QUICK_SLACK of QUICK_LOOP_MS) are measured values
# that compare between runs: their median is given beside the figure, with how many there were.
PROBE_ITERATIONS = 60_000
QUICK_LOOP_MS = 66.0
QUICK_SLACK = 1.15


def probe_loop_ms_per_cpu(repeats: int = 3) -> list[float]:
    """The CPU loop's time right now on each CPU this process may use (the calling thread pinned to one after the
    other, then let go), from a thirty-third of it (the median of ``repeats``), in ms. The two cores of this kind
    of machine do not always run at the same speed at the same moment, and a page's work is spread over both (the
    client in one process, the worker in another)."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if len(allowed) < 2:
        return [_loop_ms(PROBE_ITERATIONS, repeats)]
    speeds = []
    try:
        for cpu in sorted(allowed):
            os.sched_setaffinity(0, {cpu})  # pid 0: the calling thread only
            speeds.append(_loop_ms(PROBE_ITERATIONS, repeats))
    finally:
        os.sched_setaffinity(0, allowed)
    return speeds


def probe_loop_ms(repeats: int = 3) -> float:
    """The CPU loop's time right now: the mean over the CPUs (:func:`probe_loop_ms_per_cpu`), in ms."""
    speeds = probe_loop_ms_per_cpu(repeats)
    return sum(speeds) / len(speeds)


def at_reference_speed(values: list[float], loops_ms: list[float], rate: bool = False) -> list[float]:
    """Each value as it would have been with the machine at its quick speed (the CPU loop at QUICK_LOOP_MS): a
    time multiplied, a rate divided, by QUICK_LOOP_MS / the loop probed beside it. This assumes the work scales
    with the CPU's speed, which holds for a warm page (CPU in the client, the worker and the database, no waits);
    it is not applied to figures made mostly of waiting (P1, P4, P8: the agencies' latency)."""
    return [v * (loop / QUICK_LOOP_MS if rate else QUICK_LOOP_MS / loop) for v, loop in zip(values, loops_ms)]


def at_quick_moments(values: list[float], loops_ms: list[float]) -> list[float]:
    """The values measured while the machine ran at its quick speed (the loop beside them at most
    QUICK_SLACK × QUICK_LOOP_MS)."""
    return [v for v, loop in zip(values, loops_ms) if loop <= QUICK_SLACK * QUICK_LOOP_MS]


def fsync_ms(folder: Path, repeats: int = 20) -> float:
    """Write 4 KiB and fsync it."""
    path = folder / "calibration-fsync.bin"
    times = []
    with open(path, "wb") as f:
        for _ in range(repeats):
            f.write(b"\0" * 4096)
            f.flush()
            t0 = time.perf_counter()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - t0)
    path.unlink()
    return statistics.median(times) * 1000


def loopback_rtt_us(repeats: int = 500) -> float:
    """One byte there and back over TCP on 127.0.0.1 (TCP_NODELAY on both ends)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def echo():
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while data := conn.recv(1):
                conn.sendall(data)

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    client = socket.create_connection(server.getsockname())
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        client.sendall(b"x")
        client.recv(1)
        times.append(time.perf_counter() - t0)
    client.close()
    thread.join(timeout=5)
    server.close()
    return statistics.median(times) * 1e6


def sqlite_commit_ms(folder: Path, repeats: int = 200) -> float:
    """One small insert and its commit, WAL with synchronous=NORMAL (the portal's settings)."""
    path = folder / "calibration.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("create table t (id integer primary key, at text, what text)")
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        with conn:
            conn.execute("insert into t (at, what) values (?, ?)", [str(i), "overview"])
        times.append(time.perf_counter() - t0)
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return statistics.median(times) * 1000


def measure(folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    return {
        "cpu_loop_ms": round(cpu_loop_ms(), 1),
        "fsync_ms": round(fsync_ms(folder), 3),
        "loopback_rtt_us": round(loopback_rtt_us(), 1),
        "sqlite_wal_commit_ms": round(sqlite_commit_ms(folder), 3),
        "cores": os.cpu_count(),
        "loadavg_1min_at_start": round(load, 2),
        "valid": load <= BUSY_LOAD,
    }


def line(cal: dict) -> str:
    state = ("quiet: figures valid" if cal["valid"] else
             f"BUSY (load average {cal['loadavg_1min_at_start']} > {BUSY_LOAD} at start): figures NOT valid")
    pg = (f", PostgreSQL commit {cal['postgres_commit_ms']} ms (synchronous_commit={cal['postgres_synchronous_commit']})"
          if "postgres_commit_ms" in cal else "")
    return (f"calibration: CPU loop {cal['cpu_loop_ms']} ms, fsync {cal['fsync_ms']} ms, loopback round trip "
            f"{cal['loopback_rtt_us']} µs, SQLite WAL commit {cal['sqlite_wal_commit_ms']} ms{pg}; "
            f"{cal['cores']} cores; {state}")


def speed_line(start_ms: float, speeds: list[float]) -> str:
    """How the machine's own speed moved during the run (the CPU loop before and after each scenario).

    On this kind of machine the same loop takes from about 70 to 125 ms at a load average under 0.5 (other tenants
    of the host): a figure that depends on CPU time (P1, P6, P8) is then only comparable with its own CPU loop.
    """
    if not speeds:
        return f"machine speed during the run: CPU loop {start_ms} ms at the start only"
    quickest, slowest = min([start_ms, *speeds]), max([start_ms, *speeds])
    text = f"machine speed during the run: CPU loop {quickest:.0f}-{slowest:.0f} ms (table: before/after each scenario)"
    if slowest > SPEED_DRIFT * quickest:
        text += (f"; it moved by {slowest / quickest - 1:.0%}: a scenario whose CPU loop is more than "
                 f"{SPEED_DRIFT - 1:.0%} above {quickest:.0f} ms ran at a slow moment of the machine")
    return text
