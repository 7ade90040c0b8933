"""Web tests: the portal through Flask's test client, talking to the mock world on a real port."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal import create_app
from portal.config import DEMO_CONFIG, load

KARIN = "198504124564"  # aquaculture founder: an AB, a sole-trader firm
SARA = "199206202344"  # new parent
JOHAN = "197803157895"  # house builder
EVA = "196601013458"  # accountant with mandates
OLLE = "199511115678"  # no events at all
ALI = "199106613343"  # samordningsnummer


def portal_config(tmp_path: Path, mock_url: str, **settings):
    """The demo config, pointed at a running mock world, with a database in tmp_path."""
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("http://127.0.0.1:8081", mock_url)
    lines = [f'database = "{tmp_path / "portal.db"}"'] + [f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()]
    text = text.replace("[portal]\n", "[portal]\n" + "\n".join(lines) + "\n", 1)
    path = tmp_path / "portal.toml"
    path.write_text(text, encoding="utf-8")
    return load(path, env={}, testing=True)


@pytest.fixture()
def make_app(tmp_path, demo_world):
    def factory(**settings):
        return create_app({"TESTING": True, "PORTAL": portal_config(tmp_path, demo_world.url, **settings)})
    return factory


@pytest.fixture()
def app(make_app):
    return make_app()


@pytest.fixture()
def client(app):
    return app.test_client()


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_token(client, path="/login") -> str:
    soup = page(client.get(path))
    return soup.select_one('input[name="csrf_token"]')["value"]


def login(client, pnr: str):
    token = csrf_token(client)
    response = client.post("/login", data={"personnummer": pnr, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def act_as(client, name_pattern: str):
    """Switch to the party whose option label matches ``name_pattern``; returns the response."""
    soup = page(client.get("/"))
    option = next(o for o in soup.select("#party-select option") if re.search(name_pattern, o.get_text()))
    token = soup.select_one('.party-form input[name="csrf_token"]')["value"]
    return client.post("/act-as", data={"party": option["value"], "csrf_token": token})
