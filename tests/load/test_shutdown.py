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
    world = MockWorld()
    server = PortalServer(world.url, tmp_path, page_deadline_s=5.0, fresh_s=0, login_rate_limit="1000 per minute")
    try:
        http = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(server.url + "/login").text).group(1)
        assert http.post(server.url + "/login", data={"personnummer": "198504124564", "csrf_token": token}).ok
        # Skatteverket's answer is held: once it has been asked, the page is in flight, waiting for it.
        assert world.admin("PUT", "/faults/skatteverket", {"held": True, "timeout_s": 60}).status_code == 200
        asked_before = _asked(world, "skatteverket")
        answers = []
        worker = threading.Thread(target=lambda: answers.append(http.get(server.url + "/", timeout=30)))
        worker.start()
        for _ in range(300):  # give up after ~15 s
            if _asked(world, "skatteverket") > asked_before:
                break
            time.sleep(0.05)
        assert _asked(world, "skatteverket") > asked_before
        server.proc.send_signal(signal.SIGTERM)
        world.admin("PUT", "/faults/skatteverket", {"held": False})
        worker.join(timeout=30)
        assert answers and answers[0].status_code == 200
        assert "Dina ärenden" in answers[0].text
        assert server.proc.wait(timeout=15) == 0
    finally:
        server.stop()
        world.stop()


def _asked(world, slug: str) -> int:
    """How many queries ``slug`` has received so far (the mock logs each one as it arrives)."""
    return world.output().count(f"query producer={slug} ")
