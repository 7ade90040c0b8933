"""The ``[portal]`` table: the portal's own settings, each overridable by env ``PORTAL_<KEY>``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from .reading import ENV_PREFIX, ConfigError, _build, _from_env


ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "portal" / "demo.toml"


@dataclass(frozen=True)
class PortalSettings:
    """The ``[portal]`` table; each key can be overridden by env ``PORTAL_<KEY>``."""

    secret_key: str = field(default="", repr=False)
    database: str = str(ROOT / "instance" / "portal.db")  # a file (SQLite) or a postgresql:// URL
    db_pool_size: int = 8  # connections each worker process keeps open to the database
    db_max_overflow: int = 24  # more, opened for a burst and closed after (per worker process)
    demo: bool = False
    representation_ttl_s: float = 60.0
    fresh_s: float = 60.0  # cached events younger than this are shown without asking producers
    total_deadline_s: float = 5.0
    retry_failed_s: float = 0.0  # a producer that failed is asked again at most this often (0: on every load)
    page_deadline_s: float = 0.25  # the page is served by then; slower agencies' answers are stored when they come
    full_refresh_h: float = 24.0
    page_size: int = 500
    max_pages: int = 20
    overlap_days: int = 1
    session_idle_min: float = 30.0
    session_absolute_h: float = 8.0
    demo_identities: str = str(ROOT / "mock_producers" / "data" / "_identiteter.json")
    login_rate_limit: str = "10 per minute"  # per client address, across every instance (flask-limiter syntax)
    max_events_per_producer: int = 20000  # storage cap per party and agency; beyond it new events are left out
    proxy_hops: int = 0  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host (0: none, trust no header)
    calls_per_producer: int = 4  # bulkhead: calls to one agency at once per process (the fetch pool has 32 threads)
    server_timing: bool = False  # send per-stage times in a Server-Timing header (bench and debugging only)


def _settings(table: dict, env) -> PortalSettings:
    if not isinstance(table, dict):
        raise ConfigError("[portal] must be a table")
    values = dict(table)
    for f in fields(PortalSettings):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is None:
            continue
        values[f.name] = _from_env(raw, f.type, f.name)
    return _build(PortalSettings, values, "[portal]")
