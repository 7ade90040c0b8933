"""Log-in and log-out in chromium through a real OpenID provider (npm oidc-provider on a loopback port)."""

from __future__ import annotations

import pytest

from oidcprovider import OpenIdProvider, free_port, registration
from portalserver import PortalServer
from browsertools import PORTAL_SETTINGS


@pytest.fixture(scope="module")
def oidc_portal(browser_world, tmp_path_factory):
    """A portal (gunicorn, demo mode, mock e-ID not offered) that logs in through the test provider."""
    portal_port, provider_port = free_port(), free_port()
    extra = {"oidc": {"issuer": f"http://127.0.0.1:{provider_port}", "client_id": "portal",
                      "redirect_url": f"http://127.0.0.1:{portal_port}/login/callback", "offer_mock_eid": False}}
    portal = PortalServer(browser_world.url, tmp_path_factory.mktemp("oidc-portal"), port=portal_port,
                          extra_config=extra, **PORTAL_SETTINGS)
    provider = OpenIdProvider([registration("portal", portal.url)], port=provider_port)
    yield portal, provider
    provider.stop()
    portal.stop()


def test_log_in_and_out_through_the_e_id_service(oidc_portal, new_page):
    portal, provider = oidc_portal
    page = new_page()
    page.goto(portal.url + "/login")
    assert page.locator("#personnummer").count() == 0  # only the real e-ID is offered
    page.click("#oidc-login")
    page.wait_for_url(provider.issuer + "/interaction/**")
    page.click("button[value=karin]")
    page.wait_for_url(portal.url + "/")
    assert page.locator(".site-header__user").inner_text().strip() == "Karin Ström"
    assert page.locator(".case-card").count() > 0  # her cases, for the number the provider gave

    page.click("header form[action='/logout'] button")
    # Our session is over; the provider asks whether to end its session too.
    page.wait_for_url(provider.issuer + "/session/end**")
    page.click("button[name=logout][value=yes]")
    page.wait_for_url(portal.url + "/login**")
    assert "Du är utloggad." in page.locator("main .notice").all_inner_texts()
    page.goto(portal.url + "/")
    assert page.url.startswith(portal.url + "/login")
    # The provider's session ended too: logging in again asks who you are.
    page.click("#oidc-login")
    page.wait_for_url(provider.issuer + "/interaction/**")


def test_a_refusal_is_a_readable_page_and_nobody_is_logged_in(oidc_portal, new_page):
    portal, provider = oidc_portal
    page = new_page(locale="en")
    page.goto(portal.url + "/login")
    page.click("#oidc-login")
    page.click("button[value=lena]")  # an e-ID of assurance level 2
    page.wait_for_selector("main h1")
    assert page.locator("main h1").inner_text() == "Your e-ID is not secure enough"
    page.goto(portal.url + "/")
    assert page.url.startswith(portal.url + "/login")
