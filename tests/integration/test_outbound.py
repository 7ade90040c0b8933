"""Outbound calls end at their wall-clock deadline, whatever the peer does, with one watchdog thread for all calls; they
use the proxies and the CA bundle the environment names (real sockets on loopback)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from smtpsink import self_signed_context

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


class _Loopback:
    """A threaded HTTP server on 127.0.0.1 (over TLS given ``tls``, an ``ssl.SSLContext``) serving ``handler``."""

    def _serve(self, handler, tls=None) -> None:
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.http.daemon_threads = True
        if tls is not None:
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self):
        self.http.shutdown()
        self.http.server_close()


class _KeepAlive(_Loopback):
    """A loopback HTTP/1.1 server with keep-alive (over TLS given ``tls``, an ``ssl.SSLContext``): ``/held``
    answers once ``release`` is set; counts connections."""

    def __init__(self, tls=None):
        self.release = threading.Event()
        self.arrived = threading.Semaphore(0)
        self.connections = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                server.connections += 1

            def do_GET(self):
                if self.path == "/held":
                    server.arrived.release()
                    server.release.wait(30)
                body = f"answer to {self.path}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler, tls)

    def close(self):
        self.release.set()
        super().close()


def test_many_concurrent_calls_start_no_thread_per_call(monkeypatch):
    server = _KeepAlive()
    callers: set = set()
    starts: list = []
    start = threading.Thread.start

    def counted_start(thread):
        if threading.current_thread().ident in callers:
            starts.append(thread.name)
        return start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted_start)
    session, answers = new_session(pool_maxsize=16), []

    def one():
        callers.add(threading.get_ident())
        answers.append(call(session, "GET", server.url + "/held", deadline_s=30).status)

    threads = [threading.Thread(target=one) for _ in range(16)]
    try:
        for t in threads:
            t.start()
        for _ in threads:  # every call is in flight at once, each with its deadline running
            assert server.arrived.acquire(timeout=30)
        server.release.set()
        for t in threads:
            t.join(30)
    finally:
        server.close()
    assert answers == [200] * 16
    assert starts in ([], ["outbound-watchdog"])  # at most the process's one watchdog, on first use
    assert [t.name for t in threading.enumerate()].count("outbound-watchdog") == 1


def test_a_finished_calls_deadline_never_shuts_the_connection_reused_after_it():
    server = _KeepAlive()
    session = new_session(pool_maxsize=1)
    try:
        assert call(session, "GET", server.url + "/quick", deadline_s=0.3).body == b"answer to /quick"
        later: list = []
        waiting = threading.Thread(target=lambda: later.append(call(session, "GET", server.url + "/held",
                                                                    deadline_s=30)))
        waiting.start()
        assert server.arrived.acquire(timeout=30)
        time.sleep(0.6)  # the first call's deadline passes while the same connection waits for the second answer
        server.release.set()
        waiting.join(30)
    finally:
        server.close()
    assert [a.body for a in later] == [b"answer to /held"]
    assert server.connections == 1  # the second call did reuse the first one's connection


class _RecordingProxy(_Loopback):
    """A loopback HTTP proxy that records each request line and answers every request itself."""

    def __init__(self):
        self.lines: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy.lines.append(self.requestline)
                self.send_response(200)
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"via proxy")

        self._serve(Handler)


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def test_a_proxy_in_the_environment_is_used_and_no_proxy_bypasses_it(monkeypatch):
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    agency, proxy = _KeepAlive(), _RecordingProxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        assert call(new_session(), "GET", agency.url + "/cases", deadline_s=10).body == b"via proxy"
        assert proxy.lines == [f"GET {agency.url}/cases HTTP/1.1"]  # the proxy was asked for the agency's URL

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert call(new_session(), "GET", agency.url + "/cases", deadline_s=10).body == b"answer to /cases"
        assert len(proxy.lines) == 1
    finally:
        agency.close()
        proxy.close()


def test_the_ca_bundle_in_the_environment_is_trusted(monkeypatch, tmp_path):
    context, cert = self_signed_context(tmp_path)
    agency = _KeepAlive(tls=context)
    url = agency.url + "/cases"
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", *_PROXY_VARIABLES, *(n.upper() for n in _PROXY_VARIABLES)):
        monkeypatch.delenv(name, raising=False)
    try:
        with pytest.raises(OutboundFailed) as failed:  # the system's CAs do not know this certificate
            call(new_session(), "GET", url, deadline_s=10)
        assert failed.value.reason == "down"
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
        assert call(new_session(), "GET", url, deadline_s=10).body == b"answer to /cases"
    finally:
        agency.close()


class _Recording(_Loopback):
    """A loopback HTTP/1.1 server that records each request (line, headers, body); ``/moved`` answers 307 to
    ``/here``, and every other answer is gzip-compressed."""

    def __init__(self):
        self.requests: list[tuple[str, dict, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append((self.requestline, dict(self.headers), body))
                if self.path == "/moved":
                    self.send_response(307)
                    self.send_header("Location", "/here")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = gzip.compress(f"answer to {self.path}".encode())
                self.send_response(200)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._serve(Handler)


def test_a_question_goes_out_as_requests_would_send_it_and_a_compressed_answer_is_read():
    # The portal's own calls skip requests' preparation (issue 16); what the agency receives must not change.
    server = _Recording()
    try:
        answer = call(new_session(), "POST", server.url + "/ask?x=1", deadline_s=5, data='{"q": 1}',
                      headers={"Content-Type": "application/json", "Accept": "application/json"})
    finally:
        server.close()
    assert answer.status == 200 and answer.body == b"answer to /ask?x=1"
    ((line, headers, body),) = server.requests
    assert line == "POST /ask?x=1 HTTP/1.1" and body == b'{"q": 1}'
    assert headers["Content-Length"] == "8" and headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"  # the caller's, not requests' default */*
    assert headers["User-Agent"].startswith("python-requests/") and "gzip" in headers["Accept-Encoding"]


def test_a_redirect_is_followed():
    server = _Recording()
    try:
        answer = call(new_session(), "POST", server.url + "/moved", deadline_s=5, data="{}")
    finally:
        server.close()
    assert answer.body == b"answer to /here"
    assert [line for line, _, _ in server.requests] == ["POST /moved HTTP/1.1", "POST /moved HTTP/1.1",
                                                       "POST /here HTTP/1.1"]
