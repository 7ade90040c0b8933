"""What every request needs: the loaded config, upstream clients, and its own store connection."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

import requests
from flask import current_app, g
from requests.adapters import HTTPAdapter

from portal import outbound
from portal.config import Config
from portal.ombud import OmbudClient
from portal.producers import ProducerClient
from portal.store import Store, connect


@dataclass
class Runtime:
    config: Config
    producers: dict[str, ProducerClient]
    ombud: OmbudClient

    @classmethod
    def build(cls, config: Config) -> "Runtime":
        # One pooled session for all upstream calls: connections are reused across requests and threads.
        http = requests.Session()
        adapter = HTTPAdapter(pool_connections=len(config.producers) + 2, pool_maxsize=64)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
        # The agencies' calls go through portal.outbound (a wall-clock deadline): its session reports sockets.
        agencies = outbound.new_session(pool_maxsize=64)
        clients = {p.slug: ProducerClient(p, agencies, page_size=config.settings.page_size,
                                          max_pages=config.settings.max_pages) for p in config.producers}
        return cls(config, clients, OmbudClient(config.ombud, http))


def runtime() -> Runtime:
    return current_app.extensions["portal"]


def config() -> Config:
    return runtime().config


_thread = threading.local()


def store() -> Store:
    """This request's store: the connection its thread keeps open (one per thread, never shared)."""
    if "store" not in g:
        path = runtime().config.settings.database
        kept = getattr(_thread, "store", None)
        if kept is None or kept[0] != path:
            if kept is not None:
                kept[1].close()
            kept = (path, Store(connect(path)))
            _thread.store = kept
        g.store = kept[1]
    return g.store


def store_factory():
    """A function that opens a Store of its own, callable from any thread (it needs no app context)."""
    path = runtime().config.settings.database
    return lambda: Store(connect(path))


def close_store(_exc=None) -> None:
    """End of request: the connection stays open for the thread's next request, with no transaction left open."""
    s = g.pop("store", None)
    if s is not None and s.db.conn.in_transaction:
        s.db.conn.rollback()


def correlation_id() -> str:
    """One id per request, sent to every producer and the registry, and written in our log lines."""
    if "correlation_id" not in g:
        g.correlation_id = str(uuid.uuid4())
    return g.correlation_id
