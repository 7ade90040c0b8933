"""The HTTP server for the mock world: Werkzeug's threaded server, with one change.

The standard names a header with underscores, ``skv_client_correlation_id``.
Werkzeug (like gunicorn and nginx) drops every header with an underscore,
because ``a_b`` and ``a-b`` land in the same CGI variable and one could spoof the
other. We let exactly that one header through (and the ``client_id``/``client_secret``
pair some producers authenticate with), and when both spellings arrive the
underscore one (the standard's) wins.

It also tells when each question reached this machine (``asked_at``): an agency's latency runs from the question,
not from the moment this one process got round to reading it. Eight agencies asked at once share this process (and
the mandate registry's questions come in meanwhile); taking in each request costs it about a millisecond of its one
interpreter lock, so counting from the handler's start, or from ``accept()`` (which waits for the same lock), made
the last agency of a page answer 5-7 ms later than its latency. The kernel stamps each arriving packet when asked
to (``SO_TIMESTAMPNS``, Linux); elsewhere the handler's start counts, as before.

And it sends an answer at the moment the app asked for (``send_at``) with all the app's work on it done first:
Flask's and Werkzeug's work on a finished response (about half a millisecond, more when eight agencies' answers
are due together in this one process) came after the latency when the view slept until it was due; now only the
status line, the headers and one write of the buffered answer do; the access log line (half a millisecond to
stderr) is written after the answer.
"""

from __future__ import annotations

import socket
import struct
import sys
import time

from werkzeug.serving import WSGIRequestHandler, make_server

from .faults import finish

CORRELATION_HEADER = "skv_client_correlation_id"
# Headers of the standard's world that have underscores: the correlation id, and the client_id/client_secret
# pair some producers authenticate consumers with.
UNDERSCORE_HEADERS = {CORRELATION_HEADER: "HTTP_SKV_CLIENT_CORRELATION_ID", "client_id": "HTTP_CLIENT_ID",
                      "client_secret": "HTTP_CLIENT_SECRET"}


ASKED_AT = "mock_producers.asked_at"  # environ key: when the request's first byte arrived, as time.monotonic()
SEND_AT = "mock_producers.send_at"  # environ key: a list the app puts its answer's due time in (``send_at``)
SO_TIMESTAMPNS = 35  # Linux (asm-generic); the socket module does not name it
_STAMPS = sys.platform.startswith("linux")


def asked_at(environ) -> float | None:
    """When the request in ``environ`` reached this machine, as ``time.monotonic()`` (None: not known)."""
    return environ.get(ASKED_AT)


def _arrival(conn: socket.socket) -> float | None:
    """The kernel's receive time of the first byte waiting on ``conn`` (peeked, not read), as time.monotonic()."""
    try:
        _, ancillary, _, _ = conn.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except (OSError, NotImplementedError, ValueError):  # the read that follows meets a broken connection and says so;
        return None  # a TLS socket does not peek like this: then the handler's start counts
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
            seconds, nanoseconds = struct.unpack("qq", payload[:16])
            # A wall-clock stamp: moved onto the monotonic clock the latency is counted on.
            return time.monotonic() - (time.time() - (seconds + nanoseconds / 1e9))
    return None


def send_at(environ, due: float) -> bool:
    """Have this server send the answer at ``due`` (``time.monotonic()``); False when it cannot (a test client):
    then the caller waits itself."""
    slot = environ.get(SEND_AT)
    if slot is None:
        return False
    slot.append(due)
    return True


class StandardHeadersHandler(WSGIRequestHandler):
    # Status line, headers and a short answer leave in one write, at once (as a production server sends them).
    wbufsize = -1
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        # Werkzeug closes every connection after one answer: the first byte on it is its one question's.
        self.asked_at = _arrival(self.connection) if _STAMPS else None

    def make_environ(self):
        environ = super().make_environ()
        environ[ASKED_AT], self.asked_at = self.asked_at, None
        environ[SEND_AT] = self.due = []
        for key, value in self.headers.items():
            name = UNDERSCORE_HEADERS.get(key.lower())
            if name is not None:
                environ[name] = value.replace("\r\n", "")
        return environ

    def send_response(self, code, message=None):
        # The answer's first write: the app has finished with it; it leaves when it is due, not before.
        if getattr(self, "due", None):
            finish(max(self.due))
        super().send_response(code, message)

    def log_request(self, code="-", size="-"):
        # Called before the status line is written: the access line is written once the answer is out (``finish``).
        self.logged = (code, size)

    def finish(self):
        super().finish()
        logged, self.logged = getattr(self, "logged", None), None
        if logged is not None:
            super().log_request(*logged)


def serve(app, host: str, port: int):
    """A threaded server bound to (host, port); port 0 picks a free one."""
    server = make_server(host, port, app, threaded=True, request_handler=StandardHeadersHandler)
    if _STAMPS:  # accepted connections inherit it; without it no stamp comes, and the handler's start counts
        try:
            server.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass
    return server
