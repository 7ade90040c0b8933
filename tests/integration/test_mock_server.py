"""The mock world's HTTP server: an agency's latency runs from the question's arrival, and the answer leaves when due.

A server on loopback in this process (the clock is the same on both ends), with a small WSGI app in place of the
mock agencies. No bound here depends on the machine's speed: each compares a moment with a sleep the test itself
makes, or says an answer did not come before its due time.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import pytest

from mock_producers import server as mock_server

pytestmark = pytest.mark.integration

REQUEST = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture
def served():
    """Run ``app`` on a loopback port in a thread; returns (host, port)."""
    running = []

    def start(app):
        srv = mock_server.serve(app, "127.0.0.1", 0)
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.append((srv, thread))
        return srv.server_address

    yield start
    for srv, thread in running:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _body(answer: bytes) -> dict:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


def test_asked_at_is_when_the_first_byte_came_not_when_the_request_was_read(served):
    def app(environ, start_response):
        body = json.dumps({"asked_at": mock_server.asked_at(environ), "read_at": time.monotonic()}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    address = served(app)
    with socket.create_connection(address) as sock:
        first = time.monotonic()
        sock.sendall(REQUEST[:5])
        time.sleep(0.3)  # the rest of the question comes 300 ms later: the server can only read it then
        rest = time.monotonic()
        sock.sendall(REQUEST[5:])
        seen = _body(_answer(sock))
    assert seen["read_at"] >= rest
    # The moment the question began to arrive, not the moment it was whole (which is after ``rest``).
    assert first <= seen["asked_at"] < rest


def test_an_answer_given_a_due_time_leaves_then_and_not_before(served):
    due = {}

    def app(environ, start_response):
        due["at"] = time.monotonic() + 0.3
        assert mock_server.send_at(environ, due["at"])  # this server sends it: the app returns at once
        due["returned"] = time.monotonic()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    address = served(app)
    with socket.create_connection(address) as sock:
        sock.sendall(REQUEST)
        sock.settimeout(5)
        first = sock.recv(1)  # the first byte of the answer
        arrived = time.monotonic()
        rest = _answer(sock)
    assert (first + rest).endswith(b"\r\n\r\nok")
    assert due["returned"] < due["at"] <= arrived


def test_without_this_server_send_at_says_no_so_the_caller_waits_itself():
    assert mock_server.send_at({}, time.monotonic() + 1) is False


def test_the_access_line_is_still_written_now_after_the_answer(served):
    lines = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger = logging.getLogger("werkzeug")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        address = served(app)
        with socket.create_connection(address) as sock:
            sock.sendall(REQUEST)
            sock.settimeout(5)
            answer = _answer(sock)
        deadline = time.monotonic() + 5  # written by the server's thread as it finishes with the connection
        while not lines and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert answer.startswith(b"HTTP/1.1 200")
    assert any('"GET /x HTTP/1.1" 200' in line for line in lines), lines
