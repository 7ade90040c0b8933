"""Links in templates: each distinct ``url_for(...)`` is built once per process and script root, then kept.

A page builds twenty-odd links (the static files, the menu, the party switcher, a link per case), each through
Werkzeug's URL map (matching the rule, converting and quoting the values): about a fifteenth of a warm overview's
render (issue 16). The same endpoint and values give the same relative URL under one script root, so the URL is
kept. Anything else (an external URL, an anchor, a method or scheme, a blueprint-relative endpoint, a value that
cannot be a key) is built as Flask builds it, every time.
"""

from __future__ import annotations

from flask import Flask, request

MAX_KEPT = 4096  # distinct links kept per process (a case link each); all are let go when it is full


def install(app: Flask) -> None:
    """Give the templates a ``url_for`` that keeps what it built (Python code keeps Flask's own)."""
    build = app.url_for
    kept: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if endpoint[:1] == "." or any(name[:1] == "_" for name in values):
            return build(endpoint, **values)
        key = (request.script_root, endpoint, *sorted(values.items()))
        try:
            url = kept.get(key)
        except TypeError:  # a list or other unhashable value
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(kept) >= MAX_KEPT:
                kept.clear()
            kept[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for
