"""The HTTP server for the mock world: Werkzeug's threaded server, with one change.

The standard names a header with underscores, ``skv_client_correlation_id``.
Werkzeug (like gunicorn and nginx) drops every header with an underscore,
because ``a_b`` and ``a-b`` land in the same CGI variable and one could spoof the
other. We let exactly that one header through (and the ``client_id``/``client_secret``
pair some producers authenticate with), and when both spellings arrive the
underscore one (the standard's) wins.
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler, make_server

CORRELATION_HEADER = "skv_client_correlation_id"
# Headers of the standard's world that have underscores: the correlation id, and the client_id/client_secret
# pair some producers authenticate consumers with.
UNDERSCORE_HEADERS = {CORRELATION_HEADER: "HTTP_SKV_CLIENT_CORRELATION_ID", "client_id": "HTTP_CLIENT_ID",
                      "client_secret": "HTTP_CLIENT_SECRET"}


class StandardHeadersHandler(WSGIRequestHandler):
    def make_environ(self):
        environ = super().make_environ()
        for key, value in self.headers.items():
            name = UNDERSCORE_HEADERS.get(key.lower())
            if name is not None:
                environ[name] = value.replace("\r\n", "")
        return environ


def serve(app, host: str, port: int):
    """A threaded server bound to (host, port); port 0 picks a free one."""
    return make_server(host, port, app, threaded=True, request_handler=StandardHeadersHandler)
