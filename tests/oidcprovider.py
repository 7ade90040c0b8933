"""A real OpenID provider (npm ``oidc-provider`` with ``tests/oidc/provider.js``) on a loopback port.

The npm package is installed once into a cache outside the repo (like the Nu Html Checker), so ``make test``
needs nothing but npm and Node 20. Also used by ``make demo-oidc`` (``scripts/demo_oidc.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from launcher import Launched, NotStarted
from portal.config import DEMO_OIDC_SECRET as SECRET  # the portal's own fallback in demo and test mode

ROOT = Path(__file__).resolve().parents[1]
PROVIDER_JS = ROOT / "tests" / "oidc" / "provider.js"
# The newest oidc-provider that runs on Node 20 (9.x needs Node ^20.19, ^22.12 or newer).
OIDC_PROVIDER_VERSION = "9.13.3"
PNR_SCOPE = "https://id.oidc.se/scope/naturalPersonNumber"
LOA2 = "http://id.elegnamnden.se/loa/1.0/loa2"
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
# Clients whose ID tokens the test provider twists after making them (tests/oidc/provider.js).
TWISTED_CLIENTS = {"portal-expired": "expired", "portal-wrong-audience": "wrong-audience",
                   "portal-unknown-kid": "unknown-kid", "portal-identity-in-token": "identity-in-token"}


class ProviderUnavailable(RuntimeError):
    """npm or node is missing, or the package could not be installed or started."""


def modules_dir() -> Path:
    """``node_modules`` with oidc-provider, installed with npm into ~/.cache on first use."""
    prefix = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mina-arenden" / \
        f"oidc-provider-{OIDC_PROVIDER_VERSION}"
    modules = prefix / "node_modules"
    if not (modules / "oidc-provider" / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise ProviderUnavailable("npm is not installed, so the OpenID provider (npm oidc-provider) cannot be")
        result = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(prefix),
                                 f"oidc-provider@{OIDC_PROVIDER_VERSION}"], capture_output=True, text=True,
                                timeout=300)
        if result.returncode != 0 or not (modules / "oidc-provider" / "package.json").is_file():
            raise ProviderUnavailable(f"npm could not install oidc-provider@{OIDC_PROVIDER_VERSION} into {prefix}: "
                                      f"{result.stderr[-2000:]}")
    return modules


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def registration(client_id: str, redirect_base: str) -> dict:
    """A client registration for a portal at ``redirect_base`` (its callback and where log-out returns)."""
    entry = {"client_id": client_id, "client_secret": SECRET,
             "redirect_uris": [redirect_base + "/login/callback"],
             "post_logout_redirect_uris": [redirect_base + "/login"]}
    if client_id in TWISTED_CLIENTS:
        entry["twist"] = TWISTED_CLIENTS[client_id]
    return entry


class OpenIdProvider:
    """``node tests/oidc/provider.js`` on a free loopback port, with the given client registrations."""

    def __init__(self, clients: list[dict], port: int | None = None):
        node = shutil.which("node")
        if node is None:
            raise ProviderUnavailable("node is not installed (the OpenID provider runs on Node 20)")
        modules = modules_dir()
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._config = tempfile.NamedTemporaryFile("w", prefix="oidc-provider-", suffix=".json", delete=False)
        json.dump({"port": self.port, "clients": clients}, self._config)
        self._config.close()
        try:
            self.server = Launched("OpenID provider", [node, str(PROVIDER_JS), str(modules), self._config.name],
                                   printed=r"^OpenID provider on ", stdout_apart=True)
        except NotStarted as exc:
            os.unlink(self._config.name)
            raise ProviderUnavailable(f"the OpenID provider did not start: {exc}") from None
        self.proc = self.server.proc
        self.stopped = False

    def rotate_keys(self) -> None:
        """Publish the key the ``unknown-kid`` client's tokens are signed with (a key rotation)."""
        requests.post(self.issuer + "/_test/rotate-keys", timeout=5).raise_for_status()

    def stop(self) -> str:
        if getattr(self, "stopped", False):
            return ""
        self.stopped = True
        text = self.server.stop()
        os.unlink(self._config.name)
        return text


def authenticate(authorize_url: str, user: str, browser: requests.Session | None = None) -> str:
    """Go through the provider's log-in as ``user`` the way a browser would; returns the URL it sends us back to
    (our callback with ``code`` and ``state``), without following it."""
    browser = browser or requests.Session()
    url = authorize_url
    for _ in range(10):
        r = browser.get(url, allow_redirects=False, timeout=10)
        if r.status_code in (302, 303) and "/interaction/" in r.headers["Location"]:
            interaction = urljoin(url, r.headers["Location"])
            browser.get(interaction, timeout=10).raise_for_status()
            r = browser.post(interaction + "/login", data={"login": user}, allow_redirects=False, timeout=10)
            assert r.status_code == 303, r.text
            url = urljoin(interaction, r.headers["Location"])
            continue
        if r.status_code in (302, 303):
            target = urljoin(url, r.headers["Location"])
            if urlsplit(target).path.endswith("/login/callback"):
                return target
            url = target
            continue
        raise AssertionError(f"the provider answered {r.status_code}: {r.text[:500]}")
    raise AssertionError("too many redirects at the provider")


def oidc_config(provider: "OpenIdProvider | str", client_id: str = "portal", base: str = "http://localhost",
                **settings):
    """The portal's ``[oidc]`` settings for this provider (or an issuer URL), as client ``client_id``."""
    from portal.config import OidcConfig
    issuer = provider if isinstance(provider, str) else provider.issuer
    settings = {"timeout_s": 10.0} | settings  # a busy machine may be slow; a test of a hang sets its own
    return OidcConfig(issuer=issuer, client_id=client_id, redirect_url=base + "/login/callback",
                      client_secret=SECRET, **settings)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
