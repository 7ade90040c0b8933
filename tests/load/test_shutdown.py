"""Graceful shutdown: SIGTERM lets a request in flight finish, then the server exits cleanly."""

from __future__ import annotations

import re
import signal
import threading
import time

import requests

from mockworld import MockWorld
from portalserver import PortalServer


def test_sigterm_finishes_the_request_in_flight(tmp_path):
    world = MockWorld("--latency", "skatteverket=1500ms")
    server = PortalServer(world.url, tmp_path, page_deadline_s=5.0, login_rate_limit="1000 per minute")
    try:
        http = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(server.url + "/login").text).group(1)
        assert http.post(server.url + "/login", data={"personnummer": "198504124564", "csrf_token": token}).ok
        answers = []
        worker = threading.Thread(target=lambda: answers.append(http.get(server.url + "/", timeout=15)))
        worker.start()
        time.sleep(0.5)  # the page is now waiting for Skatteverket
        server.proc.send_signal(signal.SIGTERM)
        worker.join(timeout=15)
        assert answers and answers[0].status_code == 200
        assert "Dina ärenden" in answers[0].text
        assert server.proc.wait(timeout=15) == 0
    finally:
        server.stop()
        world.stop()
