"""Reading a TOML table into a frozen dataclass: unknown keys, missing keys, types, URLs and secrets checked,
each problem a ``ConfigError`` that names the table and key."""

from __future__ import annotations

import math
from dataclasses import MISSING, fields
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """Configuration that the portal cannot start with."""


# Outside demo and test mode a guessable secret is refused at start-up.
MIN_SECRET_KEY = 32
MIN_API_KEY = 16
ENV_PREFIX = "PORTAL_"


def _list(doc: dict, key: str) -> list:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"[[{key}]] must be an array of tables")
    return value


def _only(table: dict, allowed: set, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"unknown key(s) in {where}: {', '.join(unknown)}")


def _build(cls, table: dict, where: str):
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    names = {f.name: f for f in fields(cls) if f.name not in ("api_key", "client_secret", "steps")}
    _only(table, set(names), where)
    missing = [n for n, f in names.items() if n not in table and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    values = {}
    for name, value in table.items():
        # A whole number whose default is 0 may be 0 (e.g. proxy_hops); the others start at 1.
        values[name] = _coerce(value, names[name].type, f"{where} {name}", minimum=0 if names[name].default == 0 else 1)
    return cls(**values)


def _coerce(value, type_name, where: str, minimum: int = 1):
    type_name = str(type_name)
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{where} must be a non-negative number")
        return float(value)
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(f"{where} must be a {'non-negative' if minimum == 0 else 'positive'} whole number")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if type_name.startswith("tuple"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(value)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string")
    return value


def _from_env(raw: str, type_name, name: str):
    type_name = str(type_name)
    try:
        if type_name == "bool":
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", ""):
                raise ValueError
            return raw.lower() in ("1", "true", "yes")
        if type_name == "float":
            return float(raw)
        if type_name == "int":
            return int(raw)
    except ValueError:
        raise ConfigError(f"env {ENV_PREFIX}{name.upper()} is not a valid {type_name}") from None
    return raw


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} must be an absolute http(s) URL")


def _secret(env, name: str, fallback: str | None, where: str, what: str) -> str:
    """A secret from env ``name``; outside demo and test mode it must be there, and not be guessably short."""
    value = env.get(name) or fallback
    if not value:
        raise ConfigError(f"{where}: env {name} (its {what}) is not set")
    if fallback is None and len(value) < MIN_API_KEY:
        raise ConfigError(f"{where}: the {what} in env {name} is too short (at least {MIN_API_KEY} characters)")
    return value
