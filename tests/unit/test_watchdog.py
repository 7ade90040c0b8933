"""The watchdog (portal.watchdog): one thread per process shuts the sockets of a deadline that passes, and never those of a
deadline cancelled in time (its call ended; the connection may serve another call)."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time

from portal import watchdog


def _pair():
    ours, peer = socket.socketpair()
    ours.settimeout(10)
    peer.settimeout(10)
    return ours, peer


def test_a_deadline_that_passes_shuts_its_socket():
    ours, peer = _pair()
    with ours, peer:
        watchdog.watch(time.monotonic() + 0.05).add(ours)
        # A blocked read returns at once when the socket is shut, long before its own 10 s timeout.
        assert ours.recv(1) == b""


def test_a_cancelled_deadline_never_shuts_its_socket_later():
    ours, peer = _pair()
    with ours, peer:
        deadline = watchdog.watch(time.monotonic() + 0.05)
        deadline.add(ours)
        deadline.cancel()
        # A later deadline passing proves the watchdog has been past the cancelled one's end.
        other, other_peer = _pair()
        with other, other_peer:
            watchdog.watch(time.monotonic() + 0.2).add(other)
            assert other.recv(1) == b""
        peer.sendall(b"still open")
        assert ours.recv(64) == b"still open"


def test_a_socket_released_before_the_deadline_is_not_shut():
    ours, peer = _pair()
    kept, kept_peer = _pair()
    with ours, peer, kept, kept_peer:
        deadline = watchdog.watch(time.monotonic() + 0.1)
        deadline.add(ours)
        deadline.add(kept)
        deadline.discard(kept)  # its connection went back to the pool for another call
        assert ours.recv(1) == b""
        kept_peer.sendall(b"x")
        assert kept.recv(1) == b"x"


def test_a_socket_added_after_the_deadline_passed_is_shut_at_once():
    ours, peer = _pair()
    with ours, peer:
        first, first_peer = _pair()
        with first, first_peer:
            deadline = watchdog.watch(time.monotonic() + 0.05)
            deadline.add(first)
            assert first.recv(1) == b""  # the deadline has fired
        deadline.add(ours)
        assert ours.recv(1) == b""


def test_many_deadlines_share_one_thread():
    before = {t.ident for t in threading.enumerate()}
    deadlines = [watchdog.watch(time.monotonic() + 30) for _ in range(200)]
    started = [t for t in threading.enumerate() if t.ident not in before]
    for deadline in deadlines:
        deadline.cancel()
    assert [t.name for t in started] in ([], ["outbound-watchdog"])  # at most the watchdog, on first use
    assert [t.name for t in threading.enumerate()].count("outbound-watchdog") == 1


def test_a_forked_child_has_a_working_watchdog_of_its_own():
    # In a process of its own: gunicorn forks its workers after the master may have used the watchdog.
    script = textwrap.dedent("""
        import os, socket, sys, time
        from portal import watchdog

        watchdog.watch(time.monotonic() + 30)  # the parent's watchdog runs
        pid = os.fork()
        if pid == 0:
            ours, peer = socket.socketpair()
            ours.settimeout(10)
            watchdog.watch(time.monotonic() + 0.05).add(ours)
            try:
                os._exit(0 if ours.recv(1) == b"" else 1)
            except TimeoutError:
                os._exit(2)  # nobody shut it: the child had no watchdog
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """)
    run = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "0", run.stderr
