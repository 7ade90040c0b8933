"""What every request needs: the loaded config, upstream clients, and its own store connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests
from flask import current_app, g
from requests.adapters import HTTPAdapter

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
        clients = {p.slug: ProducerClient(p, http, page_size=config.settings.page_size,
                                          max_pages=config.settings.max_pages) for p in config.producers}
        return cls(config, clients, OmbudClient(config.ombud, http))


def runtime() -> Runtime:
    return current_app.extensions["portal"]


def config() -> Config:
    return runtime().config


def store() -> Store:
    """This request's store; opened on first use, closed at teardown."""
    if "store" not in g:
        g.store = Store(connect(runtime().config.settings.database))
    return g.store


def store_factory():
    """A function that opens a Store of its own, callable from any thread (it needs no app context)."""
    path = runtime().config.settings.database
    return lambda: Store(connect(path))


def close_store(_exc=None) -> None:
    s = g.pop("store", None)
    if s is not None:
        s.close()


def correlation_id() -> str:
    """One id per request, sent to every producer and the registry, and written in our log lines."""
    if "correlation_id" not in g:
        g.correlation_id = str(uuid.uuid4())
    return g.correlation_id
