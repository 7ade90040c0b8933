"""The event-type catalog (kundhändelsetypskatalog): every producer's catalog, gathered and browsable.

Our extension endpoint ``{producer}/kundhandelsetyper`` is fetched for all
producers at once, validated, and cached in the store for ``CATALOG_TTL``. A
producer without a catalog still works: its types are listed by code, from the
events we have seen. The browsable page is ``portal.web.catalog``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import requests

from portal import outbound
from portal.fanout import fan_out
from portal.producers import ProducerFailed
from portal.runtime import config, runtime, store
from portal.standard import schemas
from portal.standard.clock import now

CATALOG_TTL = dt.timedelta(hours=6)
MAX_CATALOG_BYTES = 2 * 1024 * 1024


@dataclass
class TypeNode:
    code: str
    names: dict
    description: dict = field(default_factory=dict)
    children: list["TypeNode"] = field(default_factory=list)
    event_types: list[dict] = field(default_factory=list)


@dataclass
class ProducerCatalog:
    slug: str
    name: str
    available: bool  # False: the producer publishes no catalog
    case_types: list[TypeNode] = field(default_factory=list)  # top level, children nested
    permission_codes: list[dict] = field(default_factory=list)
    answered: bool = True  # False: we could not get its catalog now
    seen_types: list[str] = field(default_factory=list)  # without a catalog: the type codes of events we have


def fetch(producer, session: requests.Session) -> dict | None:
    """One producer's catalog, validated; None when it has none (404). Runs in a pool thread: no app context.

    The whole call ends within the producer's ``timeout_s``, however slowly it answers.
    """
    try:
        r = outbound.call(session, "GET", producer.url.rstrip("/") + "/kundhandelsetyper",
                          deadline_s=producer.timeout_s, max_bytes=MAX_CATALOG_BYTES,
                          headers=producer.auth_headers())
    except outbound.OutboundFailed as exc:
        raise ProducerFailed(exc.reason, f"catalog: {exc}") from None
    if r.status == 404:
        return None
    if r.status != 200:
        raise ProducerFailed("http", f"catalog answered {r.status}")
    try:
        doc = r.json()
    except ValueError:
        raise ProducerFailed("invalid", "catalog is not JSON") from None
    problems = schemas.problems("katalog", doc)
    if problems:
        raise ProducerFailed("invalid", "catalog is invalid: " + problems[0])
    return doc


def catalogs() -> dict[str, dict | None]:
    """Every producer's catalog (None: has none), from the cache or fetched concurrently when stale."""
    st = store()
    cached = st.catalogs()
    stale = [p.slug for p in config().producers
             if p.slug not in cached or now() - cached[p.slug][0] > CATALOG_TTL]
    if stale:
        # Each task does HTTP only: the store is written here, in the request's own thread.
        session = next(iter(runtime().producers.values())).session
        producers = {p.slug: p for p in config().producers}
        outcomes = fan_out({slug: (lambda p=producers[slug]: fetch(p, session)) for slug in stale},
                           config().settings.total_deadline_s, per_producer=config().settings.calls_per_producer)
        for slug, outcome in outcomes.items():
            if outcome.failure is None:
                st.save_catalog(slug, outcome.result)
                cached[slug] = (now(), outcome.result)
    return {slug: doc for slug, (_, doc) in cached.items()}


_names_tried: dict[tuple[str, str], float] = {}  # (database, producer) -> monotonic time we last asked for its catalog for names (per process)
_NAMES_RETRY_S = 60.0


def type_names() -> dict[str, dict]:
    """Case-type code -> names, for naming cases on pages: never holds a page up long.

    Stale or missing catalogs are asked for (each at most once a minute per process); the page waits up to
    ``page_deadline_s`` and a later answer is stored for the next page.
    """
    import time

    from portal.runtime import store_factory

    st = store()
    cached = st.catalogs()
    moment, db = time.monotonic(), config().settings.database
    stale = [p for p in config().producers
             if (p.slug not in cached or now() - cached[p.slug][0] > CATALOG_TTL)
             and moment - _names_tried.get((db, p.slug), -_NAMES_RETRY_S) >= _NAMES_RETRY_S]
    if stale:
        for p in stale:
            _names_tried[(db, p.slug)] = moment
        session = next(iter(runtime().producers.values())).session
        opener = store_factory()

        def late(outcome) -> None:  # in a pool thread: a connection of its own
            if outcome.failure is None:
                own = opener()
                try:
                    own.save_catalog(outcome.slug, outcome.result)
                finally:
                    own.close()

        outcomes = fan_out({p.slug: (lambda p=p: fetch(p, session)) for p in stale}, config().settings.page_deadline_s,
                           late, per_producer=config().settings.calls_per_producer,
                           fetch_deadline_s=config().settings.total_deadline_s)
        for slug, outcome in outcomes.items():
            if outcome.failure is None:
                st.save_catalog(slug, outcome.result)
                cached[slug] = (now(), outcome.result)
    return case_type_names({slug: doc for slug, (_, doc) in cached.items()})


def build(slug: str, name: str, doc: dict | None) -> ProducerCatalog:
    """The producer's case-type tree with event types under their case types."""
    if doc is None:
        return ProducerCatalog(slug, name, available=False)
    nodes = {t["kod"]: TypeNode(t["kod"], t["namn"], t.get("beskrivning") or {}) for t in doc.get("arendetyper", [])}
    top: list[TypeNode] = []
    for t in doc.get("arendetyper", []):
        parent = nodes.get(t.get("overordnad") or "")
        (parent.children if parent else top).append(nodes[t["kod"]])
    for e in doc.get("kundhandelsetyper", []):
        case_type = e["kod"].rsplit(".", 1)[0]
        node = nodes.get(case_type)
        if node is None:
            node = nodes[case_type] = TypeNode(case_type, {})
            top.append(node)
        node.event_types.append(e)
    return ProducerCatalog(slug, name, True, top, doc.get("behorighetskoder", []))


def case_type_names(docs: dict[str, dict | None]) -> dict[str, dict]:
    """Case-type code -> names (sv/en), over every catalog."""
    return {t["kod"]: t["namn"] for doc in docs.values() if doc for t in doc.get("arendetyper", [])}


def matches(node: TypeNode, needle: str) -> bool:
    texts = [node.code, *node.names.values(), *node.description.values()]
    texts += [t for e in node.event_types for t in (e["kod"], *e["namn"].values())]
    return any(needle in t.casefold() for t in texts) or any(matches(c, needle) for c in node.children)
