"""The ``[smtp]`` and ``[notify]`` tables: where e-mail notices are handed over, and how the notifier runs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .reading import ConfigError, _build


@dataclass(frozen=True)
class SmtpConfig:
    """The ``[smtp]`` table: where notices are handed over. The password comes from env ``password_env``."""

    host: str = "127.0.0.1"
    port: int = 587
    starttls: bool = True  # STARTTLS before AUTH; false only for a relay on the same machine
    username: str = ""  # empty: no AUTH
    password_env: str = "PORTAL_SMTP_PASSWORD"
    sender: str = "Mina ärenden <noreply@example.invalid>"
    timeout_s: float = 10.0
    ca_file: str = ""  # a private CA for the relay's certificate (default: the system's)
    password: str = field(default="", repr=False)  # read from env password_env, never from the file


@dataclass(frozen=True)
class NotifyConfig:
    """The ``[notify]`` table: the notifier (``flask --app portal notify``)."""

    base_url: str = "http://127.0.0.1:8080"  # the portal as users reach it: links in messages start here
    refresh_interval_s: float = 3600.0  # at most one fetch per party and agency this often, by the notifier
    max_refreshes_per_pass: int = 200  # parties refreshed per pass; the rest wait for the next pass
    loop_interval_s: float = 60.0  # --loop: a pass this often
    summary_hour: int = 7  # daily summaries go out from this hour (Swedish time)
    claim_lease_s: float = 600.0  # a message claimed by a notifier that died is taken over after this
    retry_base_s: float = 60.0  # SMTP failing: wait this long, doubling per attempt (at most a day)
    max_attempts: int = 10  # then the message is kept as failed, never dropped silently
    confirm_max_age_h: float = 48.0  # how long an address confirmation link works


def _notify(table) -> NotifyConfig:
    """The notifier's table; ``summary_hour`` is an hour of the day, midnight (0) included."""
    table = dict(table) if isinstance(table, dict) else table
    hour = table.pop("summary_hour", None) if isinstance(table, dict) else None
    notify = _build(NotifyConfig, table, "[notify]")
    if hour is not None:
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
            raise ConfigError("[notify] summary_hour must be a whole hour from 0 to 23")
        notify = replace(notify, summary_hour=hour)
    return notify


def _smtp(table, env, *, strict: bool) -> SmtpConfig:
    """The mail relay; with a username, its password must be in the environment (outside demo and test)."""
    if isinstance(table, dict) and "password" in table:
        raise ConfigError("[smtp] password: never in the file; name an env variable with password_env")
    smtp = _build(SmtpConfig, table, "[smtp]")
    password = env.get(smtp.password_env, "")
    if smtp.username and not password and strict:
        raise ConfigError(f"[smtp]: env {smtp.password_env} (the SMTP password) is not set")
    if smtp.username and not smtp.starttls and strict:
        raise ConfigError("[smtp]: a password is never sent without STARTTLS (set starttls = true)")
    return replace(smtp, password=password)
