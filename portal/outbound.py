"""Outbound HTTP calls with a wall-clock deadline and a size cap.

``requests``' timeout bounds each socket read, not the call: a peer that sends one
byte a second never times out. Every call the portal makes to a producer, the
registry, a signatory source or a catalog goes through :func:`call`, which gives
up when its deadline passes, whatever the peer does, and never reads more than
``max_bytes``. A watchdog shuts the call's socket when the deadline passes (a
peer trickling its headers is cut off too), and the deadline is checked between
reads of the body. Use a session from :func:`new_session`: its connections report
their sockets to the watchdog.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024


class OutboundFailed(Exception):
    """No usable answer. ``reason`` is ``timeout``, ``down`` or ``too_large``; the message is safe to log."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict

    def json(self):
        """The body as JSON; ValueError when it is not."""
        import json
        return json.loads(self.body)


# The sockets of the call running in this thread, for its watchdog to shut at the deadline.
_sockets: contextvars.ContextVar[list | None] = contextvars.ContextVar("outbound_sockets", default=None)


class _Watched:
    """Mixin: hand the socket to the running call's watchdog before waiting for an answer."""

    def getresponse(self, *args, **kwargs):
        watched = _sockets.get()
        if watched is not None and self.sock is not None:
            watched.append(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _Releasing:
    """Mixin: a connection back in the pool is no longer the running call's to shut (another may take it)."""

    def _put_conn(self, conn):
        watched = _sockets.get()
        sock = getattr(conn, "sock", None)
        if watched is not None and sock is not None:
            with contextlib.suppress(ValueError):
                watched.remove(sock)
        super()._put_conn(conn)


class _HTTPPool(_Releasing, HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_Releasing, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def new_session(pool_maxsize: int = 10) -> requests.Session:
    """A pooled session whose calls :func:`call` can cut off at their deadline."""
    session = requests.Session()
    adapter = _Adapter(pool_connections=pool_maxsize, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _shut(watched: list) -> None:
    for sock in list(watched):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# The end (monotonic) of the enclosing :func:`deadline` scope, if any.
_scope_end: contextvars.ContextVar[float | None] = contextvars.ContextVar("outbound_scope_end", default=None)


@contextlib.contextmanager
def deadline(seconds: float):
    """Everything inside ends within ``seconds``: a bound on a task of several calls (a fetch of many pages).

    A :func:`call` inside gets at most the time left; a request made directly on a session
    from :func:`new_session` has its socket shut when the scope's time is up.
    """
    end = time.monotonic() + seconds
    outer = _scope_end.get()
    if outer is not None:
        end = min(end, outer)
    watched: list = []
    tokens = (_sockets.set(watched), _scope_end.set(end))
    watchdog = threading.Timer(max(end - time.monotonic(), 0.0), _shut, args=(watched,))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        _sockets.reset(tokens[0])
        _scope_end.reset(tokens[1])


def past_deadline() -> bool:
    """True inside a :func:`deadline` scope whose time is up."""
    end = _scope_end.get()
    return end is not None and time.monotonic() >= end


def call(session: requests.Session, method: str, url: str, *, deadline_s: float,
         max_bytes: int = DEFAULT_MAX_BYTES, **kwargs) -> Answer:
    """``method url`` within ``deadline_s`` seconds in all (less inside a :func:`deadline` scope)."""
    scope_end = _scope_end.get()
    if scope_end is not None:
        left = scope_end - time.monotonic()
        if left <= 0:
            raise OutboundFailed("timeout", "no time left before the deadline")
        deadline_s = min(deadline_s, left)
    end = time.monotonic() + deadline_s
    watched: list = []
    token = _sockets.set(watched)
    watchdog = threading.Timer(deadline_s, _shut, args=(watched,))
    watchdog.daemon = True
    watchdog.start()
    try:
        return _call(session, method, url, end, deadline_s, max_bytes, kwargs)
    except OutboundFailed as exc:
        if exc.reason == "down" and time.monotonic() >= end:  # the watchdog shut the socket
            raise OutboundFailed("timeout", f"no complete answer within {deadline_s:g} s") from None
        raise
    except Exception:
        if time.monotonic() >= end:
            raise OutboundFailed("timeout", f"no complete answer within {deadline_s:g} s") from None
        raise
    finally:
        watchdog.cancel()
        _sockets.reset(token)


def _call(session, method, url, end, deadline_s, max_bytes, kwargs) -> Answer:
    try:
        with session.request(method, url, stream=True, timeout=(deadline_s, deadline_s), **kwargs) as r:
            chunks, size = [], 0
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise OutboundFailed("timeout", f"no complete answer within {deadline_s:g} s")
                _set_read_timeout(r, left)
                chunk = r.raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise OutboundFailed("too_large", f"answer larger than {max_bytes} bytes")
                chunks.append(chunk)
            if time.monotonic() > end:
                raise OutboundFailed("timeout", f"no complete answer within {deadline_s:g} s")
            return Answer(r.status_code, b"".join(chunks), dict(r.headers))
    except OutboundFailed:
        raise
    except requests.Timeout:
        raise OutboundFailed("timeout", f"no answer within {deadline_s:g} s") from None
    except (requests.RequestException, OSError) as exc:
        # urllib3 read errors (ReadTimeoutError, ProtocolError) surface here untranslated when streaming.
        if "timed out" in str(exc).lower():
            raise OutboundFailed("timeout", f"no answer within {deadline_s:g} s") from None
        raise OutboundFailed("down", f"not reachable ({exc.__class__.__name__})") from None
    except Exception as exc:  # urllib3's own exceptions when reading raw
        name = exc.__class__.__name__
        if "Timeout" in name or "timed out" in str(exc).lower():
            raise OutboundFailed("timeout", f"no answer within {deadline_s:g} s") from None
        raise OutboundFailed("down", f"answer broken off ({name})") from None


def _set_read_timeout(response: requests.Response, seconds: float) -> None:
    """Make the next socket read wait at most ``seconds`` (the time left before the deadline)."""
    fp = getattr(response.raw, "_fp", None)
    sock = None
    try:
        sock = fp.fp.raw._sock  # http.client.HTTPResponse -> socket.SocketIO -> socket
    except AttributeError:
        return
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))
