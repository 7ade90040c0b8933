"""Talking to a Mina ombud-style registry and the signatory source like a consumer (imported as ``ombudtools``)."""

from __future__ import annotations

from mock_producers.state import DEMO_OMBUD_CLIENT_SECRET, DEMO_SIGNATORY_KEY

BASE = "/minaombud/dfm/formedlare/v1"
TOKEN = "/minaombud/oauth2/token"
FIRMA = "/foretagsdata/firmatecknare"
CLIENT_ID = "mina-arenden-portal"


def token(world) -> str:
    """A Bearer token from the mock registry (client credentials, scope fullmakt:hamta)."""
    r = world.http.post(world.url + TOKEN, data={"grant_type": "client_credentials", "scope": "fullmakt:hamta"},
                        auth=(CLIENT_ID, DEMO_OMBUD_CLIENT_SECRET), timeout=10)
    r.raise_for_status()
    return r.json()["access_token"]


def sok(world, holder: str, tredjeman: str, **extra):
    """``POST sok/behorigheter`` for ``holder`` at one agency; the raw response."""
    body = {"fullmaktshavare": {"id": holder, "typ": "pnr"}, "tredjeman": tredjeman, "behorigheter": [], **extra}
    return world.http.post(world.url + BASE + "/sok/behorigheter", json=body,
                           headers={"Authorization": f"Bearer {token(world)}"}, timeout=10)


def firma(world, pnr: str):
    """``POST /foretagsdata/firmatecknare`` with the signatory source's own key; the raw response."""
    return world.http.post(world.url + FIRMA, json={"pnr": pnr}, headers={"X-API-Key": DEMO_SIGNATORY_KEY},
                           timeout=10)
