"""Structured logs: one JSON object per line, carrying the request's correlation id.

The correlation id is the one sent to every producer and the registry in that
request (header ``skv_client_correlation_id``), so a line here can be matched
with the producers' own logs. Log calls never pass identity numbers: users are
referred to by their opaque handle.
"""

from __future__ import annotations

import json
import logging
import sys

from flask import g, has_app_context


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_app_context() and "correlation_id" in g:
            entry["correlation_id"] = g.correlation_id
        if record.exc_info:
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
        return json.dumps(entry, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    """JSON lines on standard error for the portal's loggers (idempotent)."""
    logger = logging.getLogger("portal")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    JsonFormatter.converter = __import__("time").gmtime
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = True  # pytest's caplog still sees the records
