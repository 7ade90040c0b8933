"""PostgreSQL down at start-up, down while the portal runs, and back up: what an operator and a user see.

A throwaway cluster of this module's own (``pgcluster.Cluster``), since the tests stop and start the server;
always PostgreSQL, whatever ``PORTAL_TEST_BACKEND`` says. The portal runs under gunicorn, as deployed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import requests
from sqlalchemy.engine import make_url

import pgcluster
from portalserver import free_port
from portalvisit import Visitor, asked, case_titles, soup, start_portals, text_of, until

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KARIN = "198504124564"
SARA = "199206202344"
PASSWORD = "Hemligt-l0senord-77"  # never to be shown (trust auth lets the portal in without it)
UNAVAILABLE = "Tjänsten är inte tillgänglig just nu"


@pytest.fixture(scope="module")
def cluster():
    with pgcluster.Cluster() as c:
        yield c


def json_line(line: str) -> dict:
    try:
        entry = json.loads(line)
    except ValueError:
        return {}
    return entry if isinstance(entry, dict) else {}


def with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_down_at_start_up_the_portal_exits_with_a_message_naming_the_database(cluster):
    database = with_password(pgcluster.fresh_database("faults_start", server=cluster.url()))
    cluster.stop()
    try:
        env = {**os.environ, "PORTAL_DEMO": "1", "PORTAL_DATABASE": database,
               "PORTAL_SECRET_KEY": "database-faults-secret-key-0123456789"}
        env.pop("PORTAL_CONFIG", None)  # the demo configuration: nothing but the database matters here
        done = subprocess.run([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                               f"127.0.0.1:{free_port()}", "portal:create_app()"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        cluster.start()
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    parsed = make_url(database)
    shown = f"the database postgresql+psycopg://postgres:***@127.0.0.1:{parsed.port}/{parsed.database} cannot be used"
    # The portal's own log line says why it did not start (gunicorn then adds its traceback and gives up).
    critical = [entry["msg"] for entry in map(json_line, output.splitlines()) if entry.get("level") == "CRITICAL"]
    assert [m for m in critical if m.startswith("cannot start: " + shown)], output
    assert PASSWORD not in output


def test_down_while_running_a_readable_503_nothing_half_written_and_back_without_a_restart(
        cluster, demo_world, tmp_path):
    database = with_password(pgcluster.fresh_database("faults_running", server=cluster.url()))
    [portal] = start_portals(database, demo_world.url, [tmp_path], login_rate_limit="1000 per minute")
    try:
        karin = Visitor()
        assert karin.login(portal.url, KARIN).status_code == 302
        cases = case_titles(karin.settled(portal.url))
        assert cases
        form = soup(karin.get(portal.url + "/livssituationer")).select_one('form[action="/egna"]')
        token = form.select_one('input[name="csrf_token"]')["value"]

        cluster.stop()
        page = karin.get(portal.url + "/")
        assert page.status_code == 503
        assert UNAVAILABLE in text_of(soup(page).select_one("title")) and UNAVAILABLE in text_of(soup(page).h1)
        assert "Inget har gått förlorat" in page.text
        assert "Traceback" not in page.text and "psycopg" not in page.text
        ready = requests.get(portal.url + "/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
        assert requests.get(portal.url + "/healthz", timeout=30).status_code == 200  # the process itself is fine
        # A change asked for while the database is down is refused whole: nothing of it is kept.
        refused = karin.post(portal.url + "/egna", {"name": "Båtbygget", "csrf_token": token})
        assert refused.status_code == 503 and UNAVAILABLE in refused.text

        cluster.start()
        # The same process serves again by itself (its pool replaces the dead connections), the session intact.
        until(lambda: karin.get(portal.url + "/").status_code == 200, "the overview served again", limit_s=60)
        assert portal.proc.poll() is None
        assert requests.get(portal.url + "/readyz", timeout=30).status_code == 200
        assert case_titles(karin.settled(portal.url)) == cases
        situations = soup(karin.get(portal.url + "/livssituationer"))
        assert "Båtbygget" not in text_of(situations.select_one("main"))
        made = karin.post(portal.url + "/egna", {"name": "Båtbygget", "csrf_token": token})
        assert made.status_code == 302
        assert "Båtbygget" in text_of(soup(karin.get(portal.url + "/livssituationer")).select_one("main"))
    finally:
        log = portal.stop()
    assert PASSWORD not in log


def test_a_page_in_flight_when_the_database_goes_down_is_a_503_and_the_answer_is_asked_for_again(
        cluster, demo_world, tmp_path):
    database = pgcluster.fresh_database("faults_in_flight", server=cluster.url())
    # The page waits for the agencies (up to 10 s), so it is in flight while Skatteverket's answer is held.
    [portal] = start_portals(database, demo_world.url, [tmp_path], login_rate_limit="1000 per minute",
                             page_deadline_s=10.0, total_deadline_s=20.0)
    try:
        sara = Visitor()
        assert sara.login(portal.url, SARA).status_code == 302
        assert demo_world.admin("PUT", "/faults/skatteverket", {"held": True, "timeout_s": 60}).status_code == 200
        before = asked(demo_world, "skatteverket")
        answers = []
        loading = threading.Thread(target=lambda: answers.append(sara.get(portal.url + "/")))
        loading.start()
        until(lambda: asked(demo_world, "skatteverket") > before, "Skatteverket asked")
        cluster.stop()
        demo_world.admin("PUT", "/faults/skatteverket", {"held": False})  # its answer comes; it cannot be stored
        loading.join(timeout=60)
        # On failure, what the portal logged says which error the page met.
        assert [a.status_code for a in answers] == [503], portal.output()[-6000:]
        assert UNAVAILABLE in text_of(soup(answers[0]).h1)

        cluster.start()
        until(lambda: sara.get(portal.url + "/").status_code == 200, "the overview served again", limit_s=60)
        # A fetch whose answer could not be stored still holds its lease (total_deadline_s + 60 s): Skatteverket's,
        # and any other agency's that answered after the stop. Rather than wait a minute for them to run out,
        # the test ends them now. Then those agencies are asked again and their cases stored, once.
        with pgcluster.connect(database) as conn:
            assert conn.execute("update fetch_leases set expires_at = 0").rowcount >= 1
        page = sara.settled(portal.url)
        titles = case_titles(page)
        assert any("Skatteverket" in t for t in titles) and any("Försäkringskassan" in t for t in titles), titles
        assert len(titles) == len(set(titles))
        assert asked(demo_world, "skatteverket") == before + 2
    finally:
        demo_world.admin("DELETE", "/faults")
        portal.stop()
