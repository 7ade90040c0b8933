"""Outbound HTTP calls with a wall-clock deadline and a size cap.

``requests``' timeout bounds each socket read, not the call: a peer that sends one
byte a second never times out. Every call the portal makes to a producer, the
registry, a signatory source or a catalog goes through :func:`call`, which gives
up when its deadline passes, whatever the peer does, and never reads more than
``max_bytes``. A watchdog shuts the call's socket when the deadline passes (a
peer trickling its headers is cut off too), and the deadline is checked between
reads of the body. Use a session from :func:`new_session`: its connections report
their sockets to the watchdog.

The watchdog is one long-lived thread per process (``portal.watchdog``). A session does not re-read the environment on every call
either: its proxies (``HTTP(S)_PROXY``, ``NO_PROXY``) are resolved once per scheme
and host, and its CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) is read
when it is made.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from portal import watchdog

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




# The deadline of the call running in this context, for its connections to hand their sockets to.
_sockets: contextvars.ContextVar[watchdog.Deadline | None] = contextvars.ContextVar("outbound_sockets", default=None)


# Called (perhaps more than once) when a request of the task running in this context has been sent: see
# :func:`on_sent`.
_sent_hook: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("outbound_sent", default=None)


@contextlib.contextmanager
def on_sent(hook: Callable[[], None]):
    """Inside the block, ``hook()`` runs each time a request has been sent and its answer is awaited.

    Lets a fan-out know when all its questions are out (``portal.fanout``); ``hook`` must be quick and idempotent.
    """
    token = _sent_hook.set(hook)
    try:
        yield
    finally:
        _sent_hook.reset(token)


class _Watched:
    """Mixin: hand the socket to the running call's deadline before waiting for an answer."""

    def getresponse(self, *args, **kwargs):
        deadline = _sockets.get()
        if deadline is not None and self.sock is not None:
            deadline.add(self.sock)
        hook = _sent_hook.get()
        if hook is not None:  # the request is on its way: getresponse is called right after it was written
            hook()
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _Releasing:
    """Mixin: a connection back in the pool is no longer the running call's to shut (another may take it)."""

    def _put_conn(self, conn):
        deadline = _sockets.get()
        sock = getattr(conn, "sock", None)
        if deadline is not None and sock is not None:
            deadline.discard(sock)
        super()._put_conn(conn)


class _HTTPPool(_Releasing, HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_Releasing, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _Session(requests.Session):
    """A session that reads the environment once, not on every call.

    ``requests`` with ``trust_env`` walks the whole environment twice a call (proxies and
    their bypass list) and looks for a netrc: most of a quick call's own CPU. Here the
    proxies ``HTTP(S)_PROXY``/``ALL_PROXY`` and ``NO_PROXY`` mean the same as there, resolved
    once per scheme and host; the CA bundle ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` is read
    when the session is made. No netrc: no caller of ours relies on one.
    """

    _MAX_HOSTS = 256

    def __init__(self):
        super().__init__()
        self.trust_env = False
        self._proxies_by_host: dict = {}
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.verify = bundle

    def environ_proxies(self, url: str) -> dict:
        """The environment's proxies for ``url`` (empty when ``NO_PROXY`` bypasses its host)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        found = self._proxies_by_host.get(key)
        if found is None:
            found = requests.utils.get_environ_proxies(url)
            if len(self._proxies_by_host) >= self._MAX_HOSTS:
                self._proxies_by_host.clear()
            self._proxies_by_host[key] = found
        return found

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        proxies = dict(proxies or {})
        if "no_proxy" in proxies:  # a caller's own bypass list: as requests would, not cached
            environ = requests.utils.get_environ_proxies(url, no_proxy=proxies["no_proxy"])
        else:
            environ = self.environ_proxies(url)
        for scheme, proxy in environ.items():
            proxies.setdefault(scheme, proxy)
        return super().merge_environment_settings(url, proxies, stream, verify, cert)


def new_session(pool_maxsize: int = 10) -> requests.Session:
    """A pooled session whose calls :func:`call` can cut off at their deadline (see :class:`_Session`)."""
    session = _Session()
    adapter = _Adapter(pool_connections=pool_maxsize, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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
    watch = watchdog.watch(end)
    tokens = (_sockets.set(watch), _scope_end.set(end))
    try:
        yield
    finally:
        watch.cancel()
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
    watch = watchdog.watch(end)
    token = _sockets.set(watch)
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
        watch.cancel()
        _sockets.reset(token)


def _call(session, method, url, end, deadline_s, max_bytes, kwargs) -> Answer:
    try:
        raw = _direct(session, method, url, deadline_s, kwargs)
        if raw is None:
            with session.request(method, url, stream=True, timeout=(deadline_s, deadline_s), **kwargs) as r:
                return _read(r.raw, r.status_code, r.headers, end, deadline_s, max_bytes)
        try:
            return _read(raw, raw.status, raw.headers, end, deadline_s, max_bytes)
        except BaseException:  # as requests' Response.close: a half-read connection is closed, not pooled
            raw.close()
            raise
        finally:
            raw.release_conn()
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


def _read(raw, status: int, headers, end: float, deadline_s: float, max_bytes: int) -> Answer:
    """The whole body of ``raw`` (a urllib3 response), within the deadline and the size cap."""
    chunks, size = [], 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise OutboundFailed("timeout", f"no complete answer within {deadline_s:g} s")
        _set_read_timeout(raw, left)
        chunk = raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise OutboundFailed("too_large", f"answer larger than {max_bytes} bytes")
        chunks.append(chunk)
    if time.monotonic() > end:
        raise OutboundFailed("timeout", f"no complete answer within {deadline_s:g} s")
    return Answer(status, b"".join(chunks), dict(headers))


_REDIRECTS = frozenset((301, 302, 303, 307, 308))


def _direct(session: requests.Session, method: str, url: str, deadline_s: float, kwargs: dict):
    """The call straight on the session's urllib3 pool, or None when it needs ``requests``.

    ``requests`` prepares, merges and wraps each call in Python: about 0.4 ms of CPU before a question is on the
    wire and as much after, which a cold page pays eight times under one GIL (issue 16). The portal's own calls
    (a body that is already a string, headers, no proxy, no client certificate) need none of it, and go to the
    same pool, so the same connections and the same watchdog serve both ways. Anything else (a form body, basic
    auth, a proxy, a redirect) takes the ``requests`` way, which behaves as before.
    """
    if not kwargs.keys() <= {"data", "headers"} or not isinstance(kwargs.get("data", b""), (str, bytes)):
        return None
    environ_proxies = getattr(session, "environ_proxies", None)  # a session not from new_session: requests' way
    if environ_proxies is None or session.proxies or session.cert or session.auth or session.cookies \
            or environ_proxies(url):
        return None
    verify = session.verify
    scheme = url[:url.find(":")].lower()
    if scheme == "https":
        if verify is False or (isinstance(verify, str) and not os.path.isfile(verify)):
            return None  # a CA directory or no verification: as requests decides
        tls = {"cert_reqs": "CERT_REQUIRED", "ca_certs": verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH}
    elif scheme == "http":
        tls = {}
    else:
        return None
    parts = urlsplit(url)
    pool = session.get_adapter(url).poolmanager.connection_from_host(
        parts.hostname, parts.port, scheme, pool_kwargs=tls)
    headers = dict(session.headers)
    for name, value in (kwargs.get("headers") or {}).items():
        for same in [k for k in headers if k.lower() == name.lower()]:
            del headers[same]
        headers[name] = value
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        raw = pool.urlopen(method, path, body=kwargs.get("data"), headers=headers, retries=False, redirect=False,
                           assert_same_host=False, preload_content=False, decode_content=True,
                           timeout=urllib3.Timeout(connect=deadline_s, read=deadline_s))
    except urllib3.exceptions.NewConnectionError:  # before TimeoutError: urllib3 makes it one of those too
        raise OutboundFailed("down", "not reachable (ConnectionError)") from None
    except urllib3.exceptions.TimeoutError:
        raise OutboundFailed("timeout", f"no answer within {deadline_s:g} s") from None
    except urllib3.exceptions.HTTPError:  # as requests names it: no connection, or the peer hung up
        raise OutboundFailed("down", "not reachable (ConnectionError)") from None
    if raw.status in _REDIRECTS and raw.headers.get("Location"):
        raw.drain_conn()
        raw.release_conn()
        return None  # asked again the requests way, which follows it, as it always did
    return raw


def _set_read_timeout(raw, seconds: float) -> None:
    """Make the next socket read of ``raw`` (a urllib3 response) wait at most ``seconds`` (the time left)."""
    fp = getattr(raw, "_fp", None)
    sock = None
    try:
        sock = fp.fp.raw._sock  # http.client.HTTPResponse -> socket.SocketIO -> socket
    except AttributeError:
        return
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))
