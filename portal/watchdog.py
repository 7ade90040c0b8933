"""One thread per process that shuts sockets when their deadline passes: the wall-clock bound of ``portal.outbound``.

A timer thread per call cost a call more CPU than the rest of its own work when many answers arrive at once;
this is one long-lived thread with a heap of deadlines. A deadline that is cancelled (its call ended) never
shuts a socket afterwards, so a connection back in the pool is safe to serve another call.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time


def watch(end: float) -> Deadline:
    """A new deadline at ``end`` (``time.monotonic()``): the sockets added to it are shut then, unless cancelled."""
    return _watchdog().watch(end)


def shut(sockets: list) -> None:
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Deadline:
    """One call's (or scope's) deadline: the sockets to shut when it passes, unless cancelled first."""

    __slots__ = ("end", "sockets", "state", "watchdog")

    def __init__(self, watchdog: _Watchdog, end: float):
        self.watchdog = watchdog
        self.end = end
        self.sockets: list = []
        self.state = _WAITING

    def add(self, sock) -> None:
        """Watch ``sock`` too; shut it at once when the deadline has already passed."""
        with self.watchdog.lock:
            if self.state == _WAITING:
                self.sockets.append(sock)
                return
            if self.state == _CANCELLED:
                return
        shut([sock])  # fired (or firing): this socket is as late as the others

    def discard(self, sock) -> None:
        """``sock`` is no longer this deadline's to shut (its connection went back to the pool)."""
        with self.watchdog.lock:
            self.watchdog.settle(self)
            with contextlib.suppress(ValueError):
                self.sockets.remove(sock)

    def cancel(self) -> None:
        """The call is over: its deadline shuts nothing from now on."""
        self.watchdog.cancel(self)


_WAITING, _FIRING, _FIRED, _CANCELLED = range(4)


class _Watchdog:
    """The process's one watchdog thread: shuts the sockets of each deadline that passes uncancelled.

    A heap of (end, seq, deadline) under one lock; a cancelled deadline stays in the heap, marked,
    and is dropped when it reaches the top (or when dead entries outnumber live ones). Sockets are
    shut outside the lock; until they are, cancelling or releasing that deadline waits, so a
    deadline never shuts a socket after its call has ended and the connection may serve another.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self._wake = threading.Condition(self.lock)  # the thread waits here for the next deadline
        self._settled = threading.Condition(self.lock)  # cancel/discard wait here while one fires
        self._heap: list = []
        self._seq = itertools.count()
        self._dead = 0
        self.thread = threading.Thread(target=self._run, name="outbound-watchdog", daemon=True)
        self.thread.start()

    def watch(self, end: float) -> Deadline:
        deadline = Deadline(self, end)
        with self.lock:
            heapq.heappush(self._heap, (end, next(self._seq), deadline))
            if self._heap[0][2] is deadline:  # the earliest now: the thread must wake sooner
                self._wake.notify()
        return deadline

    def cancel(self, deadline: Deadline) -> None:
        with self.lock:
            self.settle(deadline)
            if deadline.state == _WAITING:
                deadline.state = _CANCELLED
                deadline.sockets.clear()
                self._dead += 1
                if self._dead > 64 and self._dead * 2 > len(self._heap):
                    self._heap = [entry for entry in self._heap if entry[2].state == _WAITING]
                    heapq.heapify(self._heap)
                    self._dead = 0

    def settle(self, deadline: Deadline) -> None:
        """With the lock held: wait until ``deadline`` is not half-way through firing."""
        while deadline.state == _FIRING:
            self._settled.wait()

    def _run(self) -> None:
        while True:
            with self.lock:
                due = self._due()
            for deadline, sockets in due:
                shut(sockets)
            with self.lock:
                for deadline, _ in due:
                    deadline.state = _FIRED
                self._settled.notify_all()

    def _due(self) -> list:
        """With the lock held: wait for deadlines to pass; those passed, marked firing, with their sockets."""
        while True:
            while self._heap and self._heap[0][2].state != _WAITING:
                heapq.heappop(self._heap)
                self._dead = max(self._dead - 1, 0)
            if not self._heap:
                self._wake.wait()
                continue
            now = time.monotonic()
            if self._heap[0][0] > now:
                self._wake.wait(self._heap[0][0] - now)
                continue
            due = []
            while self._heap and self._heap[0][0] <= now:
                deadline = heapq.heappop(self._heap)[2]
                if deadline.state == _WAITING:
                    deadline.state = _FIRING
                    due.append((deadline, list(deadline.sockets)))
                else:
                    self._dead = max(self._dead - 1, 0)
            return due


_watchdog_instance: _Watchdog | None = None
_watchdog_start = threading.Lock()


def _watchdog() -> _Watchdog:
    """This process's watchdog, started on first use (and again in a forked child, which has no threads)."""
    global _watchdog_instance
    instance = _watchdog_instance
    if instance is None:
        with _watchdog_start:
            if _watchdog_instance is None:
                _watchdog_instance = _Watchdog()
            instance = _watchdog_instance
    return instance


def _forget_watchdog_after_fork() -> None:
    # The child has none of the parent's threads, and the parent's lock may have been held at the fork.
    global _watchdog_instance, _watchdog_start
    _watchdog_instance = None
    _watchdog_start = threading.Lock()


os.register_at_fork(after_in_child=_forget_watchdog_after_fork)
