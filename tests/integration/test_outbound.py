"""Outbound calls end at their wall-clock deadline, whatever the peer does (real sockets on loopback)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from portal.outbound import OutboundFailed, call, new_session


def _serve_once(behaviour):
    """A one-shot TCP server on loopback that answers the first request with ``behaviour(conn)``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def run():
        conn, _ = server.accept()
        conn.recv(65536)
        try:
            behaviour(conn, stop)
        except OSError:
            pass  # the client gave up: that is the point
        finally:
            conn.close()
            server.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/", stop


def _trickle(data: bytes, sent: list):
    def behaviour(conn, stop):
        for byte in data:
            if stop.is_set():
                return
            conn.sendall(bytes([byte]))
            sent.append(byte)
            time.sleep(0.2)
    return behaviour


def test_a_prompt_answer_is_read_whole():
    body = b"{\"ok\": true}"
    url, _ = _serve_once(lambda c, s: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)))
    answer = call(new_session(), "GET", url, deadline_s=5)
    assert answer.status == 200
    assert answer.json() == {"ok": True}


@pytest.mark.parametrize("what, data", [
    ("body", b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + b"x" * 400),
    ("headers", b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 400 + b"\r\nContent-Length: 2\r\n\r\n{}"),
])
def test_a_trickling_peer_is_cut_off_at_the_deadline(what, data):
    # Each byte arrives well within any per-read timeout; only a wall-clock deadline stops this.
    sent: list = []
    url, stop = _serve_once(_trickle(data, sent))
    with pytest.raises(OutboundFailed) as failed:
        call(new_session(), "GET", url, deadline_s=1.0)
    stop.set()
    assert failed.value.reason == "timeout"
    # The caller gave up while the peer was still sending (the whole answer takes 80+ s).
    assert len(sent) < len(data)


def test_an_answer_over_the_size_cap_is_refused():
    url, _ = _serve_once(lambda c, s: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"z" * 5000))
    with pytest.raises(OutboundFailed) as failed:
        call(new_session(), "GET", url, deadline_s=5, max_bytes=1000)
    assert failed.value.reason == "too_large"


def test_nobody_listening_is_down():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(OutboundFailed) as failed:
        call(new_session(), "GET", f"http://127.0.0.1:{port}/", deadline_s=5)
    assert failed.value.reason == "down"
