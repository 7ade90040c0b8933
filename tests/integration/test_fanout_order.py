"""The fan-out asks every agency before the page does its other work (the registry look-ups of a first page).

Real HTTP on loopback; nothing answers until ``meanwhile`` has looked, so what it sees does not depend on timing.
"""

from __future__ import annotations

import socket
import threading
import time

from portal import fanout, outbound
from portal.producers import FetchResult


def test_the_page_s_other_work_starts_once_every_agency_has_been_asked(monkeypatch):
    monkeypatch.setattr(fanout, "MEANWHILE_AFTER_S", 30)  # the bound is not what is tested here
    # A bare listening socket: a question sent on loopback is in its receive buffer when send() returns, so what
    # ``meanwhile`` finds there is what had been sent before it ran (nothing answers until it has looked).
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    session, questions, conns = outbound.new_session(), [], []

    def ask():
        time.sleep(0.05)  # some work before the question (a page's fetch builds it): the other work must wait
        outbound.call(session, "GET", url, deadline_s=30)
        return FetchResult(pages=1)

    def meanwhile():
        while True:
            try:
                conn, _ = listener.accept()
            except BlockingIOError:
                break
            conns.append(conn)
            try:
                questions.append(conn.recv(65536, socket.MSG_DONTWAIT).split(b"\r\n", 1)[0])
            except BlockingIOError:
                questions.append(b"")  # connected, nothing sent yet
        threading.Thread(target=answer_all, daemon=True).start()

    def answer_all():
        for conn in conns:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            conn.close()

    try:
        outcomes = fanout.fan_out({f"agency-{n}": ask for n in range(6)}, 30, meanwhile=meanwhile)
    finally:
        listener.close()
        session.close()
    assert questions == [b"GET / HTTP/1.1"] * 6  # every question was out before the other work began
    assert all(o.result is not None and o.result.pages == 1 for o in outcomes.values())


def test_a_task_that_never_sends_a_question_does_not_hold_the_other_work_back():
    release, ran = threading.Event(), threading.Event()

    def silent():  # works without asking anybody (or is stuck before it could)
        release.wait(30)
        return FetchResult()

    def meanwhile():
        ran.set()
        release.set()

    outcomes = fanout.fan_out({"silent-agency": silent}, 30, meanwhile=meanwhile)
    assert ran.is_set() and outcomes["silent-agency"].failure is None


def test_other_work_runs_even_when_no_agency_is_asked():
    ran = []
    assert fanout.fan_out({}, 1, meanwhile=lambda: ran.append(True)) == {}
    assert ran == [True]
