"""What every request needs: the loaded config, upstream clients, and its own store connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import current_app, g

from portal import outbound
from portal.config import Config
from portal.ombud import OmbudClient, SignatoryClient
from portal.producers import ProducerClient
from portal.store import Store, connect


@dataclass
class Runtime:
    config: Config
    producers: dict[str, ProducerClient]
    ombud: OmbudClient
    signatories: SignatoryClient

    @classmethod
    def build(cls, config: Config) -> "Runtime":
        # One pooled session for all upstream calls: connections are reused across requests and threads.
        # From outbound.new_session, so a deadline can shut a trickling call's socket.
        http = outbound.new_session(pool_maxsize=64)
        clients = {p.slug: ProducerClient(p, http, page_size=config.settings.page_size,
                                          max_pages=config.settings.max_pages) for p in config.producers}
        # The registry and the signatory source: a session whose calls outbound.call can cut off at a deadline.
        lookups = outbound.new_session(pool_maxsize=32)
        return cls(config, clients, OmbudClient(config.ombud, lookups), SignatoryClient(config.signatory, lookups))


def runtime() -> Runtime:
    return current_app.extensions["portal"]


def config() -> Config:
    return runtime().config


def store() -> Store:
    """This request's store: a connection borrowed from the process's pool, given back at the request's end."""
    if "store" not in g:
        g.store = Store(connect(runtime().config.settings.database))
    return g.store


def store_factory():
    """A function that opens a Store of its own, callable from any thread (it needs no app context)."""
    path = runtime().config.settings.database
    return lambda: Store(connect(path))


def close_store(_exc=None) -> None:
    """End of request: the connection goes back to the pool, with no transaction left open."""
    s = g.pop("store", None)
    if s is not None:
        s.close()


def correlation_id() -> str:
    """One id per request, sent to every producer and the registry, and written in our log lines."""
    if "correlation_id" not in g:
        g.correlation_id = str(uuid.uuid4())
    return g.correlation_id
