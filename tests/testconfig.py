"""The portal's configuration for tests: ``portal/demo.toml`` as a dict, changed key by key, built by
``portal.config.parse`` (in-process apps) or written back as TOML (servers in their own process).

The database always comes from ``testdb.test_database``.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

from portal.config import DEMO_CONFIG, Config, parse

DEMO_URL = "http://127.0.0.1:8081"  # where demo.toml expects the mock world


def demo_doc() -> dict:
    """``portal/demo.toml`` as a dict (a fresh copy on every call)."""
    return tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))


def portal_doc(mock_url: str, database: str, *, settings: dict | None = None, tables: dict | None = None,
               agency_timeout_s: float | None = None, lookup_deadline_s: float | None = 15.0) -> dict:
    """The demo config pointed at the mock world on ``mock_url``, with ``database``.

    ``settings``: ``[portal]`` keys (replacing the demo's); ``tables``: top-level tables that replace the demo's
    own (``{"smtp": {...}}``), or, given as a list, entries added to an array of tables (another ``producer``);
    ``agency_timeout_s``: every producer's ``timeout_s``. The registry's and the signatory source's deadline is
    ``lookup_deadline_s`` (None: the demo's): a loaded machine can take over the demo's 3 s to answer; a test of
    their failures sets a fault (error, down, trickle), never relies on this deadline.
    """
    doc = _repoint(demo_doc(), mock_url)
    doc["portal"] = {**doc.get("portal", {}), "database": database, **(settings or {})}
    for name in ("ombud", "signatory"):
        if lookup_deadline_s is not None:
            doc[name]["deadline_s"] = lookup_deadline_s
    if agency_timeout_s is not None:
        for producer in doc["producer"]:
            producer["timeout_s"] = agency_timeout_s
    for name, value in (tables or {}).items():
        if isinstance(value, list):
            doc.setdefault(name, []).extend(copy.deepcopy(value))
        else:
            doc[name] = copy.deepcopy(value)
    return doc


def build(doc: dict, env: dict | None = None) -> Config:
    """The Config the portal makes of ``doc`` in test mode (secrets: the demo fallbacks unless ``env`` has them)."""
    return parse(doc, {} if env is None else env, testing=True, source="test config (portal/demo.toml as a dict)")


def write_toml(doc: dict, path: Path) -> Path:
    """``doc`` as a TOML file at ``path`` (for a portal in its own process: env ``PORTAL_CONFIG``)."""
    path.write_text(to_toml(doc), encoding="utf-8")
    return path


def _repoint(value, mock_url: str):
    if isinstance(value, dict):
        return {k: _repoint(v, mock_url) for k, v in value.items()}
    if isinstance(value, list):
        return [_repoint(v, mock_url) for v in value]
    if isinstance(value, str) and value.startswith(DEMO_URL):
        return mock_url + value[len(DEMO_URL):]
    return value


# A TOML writer for what a config holds (tomllib reads only): tables, arrays of tables, strings, numbers,
# booleans and arrays of them. Scalars first, then sub-tables, as TOML requires within a table.
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def to_toml(doc: dict) -> str:
    lines: list[str] = []
    _write_table(doc, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _write_table(table: dict, path: list[str], lines: list[str]) -> None:
    for key, value in table.items():
        if not (isinstance(value, dict) or _is_tables(value)):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        name = ".".join(_key(k) for k in [*path, key])
        if isinstance(value, dict):
            lines += ["", f"[{name}]"]
            _write_table(value, [*path, key], lines)
        elif _is_tables(value):
            for item in value:
                lines += ["", f"[[{name}]]"]
                _write_table(item, [*path, key], lines)


def _is_tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are TOML's; DEL is the one control character JSON leaves as it is and TOML refuses.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {type(value).__name__}: {value!r}")
