"""Browser tests: Debian's chromium driven by Playwright against the real portal and mock world on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from browsertools import CHROMIUM, CHROMIUM_ARGS, PORTAL_SETTINGS, VNU_VERSION, browser_context
from mockworld import MockWorld
from portalserver import PortalServer


@pytest.fixture(scope="session")
def browser_world():
    world = MockWorld()
    yield world
    world.stop()


@pytest.fixture(scope="session")
def portal(browser_world, tmp_path_factory):
    server = PortalServer(browser_world.url, tmp_path_factory.mktemp("portal"), **PORTAL_SETTINGS)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def new_page(chromium):
    """``new_page(locale="sv", javascript=True, width=1200, axe=False)`` -> a page in a fresh browser context.

    ``axe=True`` lets the test inject axe-core: our CSP (rightly) blocks injected scripts otherwise.
    """
    contexts = []

    def factory(locale: str = "sv", javascript: bool = True, width: int = 1200, axe: bool = False):
        context = browser_context(chromium, locale, javascript, width, bypass_csp=axe)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture()
def fresh_portal(browser_world, tmp_path):
    """A portal of its own (empty cache) on the session's mock world: for tests that must see a first fetch."""
    server = PortalServer(browser_world.url, tmp_path, **PORTAL_SETTINGS)
    yield server
    server.stop()


@pytest.fixture()
def faults(browser_world):
    """``faults(slug, fault)`` sets a fault knob on the session's mock world; every knob is reset afterwards."""
    def set_fault(slug: str, fault: str) -> None:
        r = browser_world.admin("PUT", f"/faults/{slug}", {"fault": fault})
        assert r.status_code == 200, r.text

    try:
        yield set_fault
    finally:
        browser_world.admin("DELETE", "/faults")


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    """The Nu Html Checker's jar: ``$VNU_JAR``, or installed once with npm into a cache outside the repo."""
    if os.environ.get("VNU_JAR"):
        return Path(os.environ["VNU_JAR"])
    if shutil.which("java") is None:
        pytest.fail("java is not installed: the Nu Html Checker (vnu.jar) needs it")
    prefix = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mina-arenden" / f"vnu-{VNU_VERSION}"
    jar = prefix / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not jar.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed, so the Nu Html Checker (npm package vnu-jar) cannot be installed")
        result = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(prefix),
                                 f"vnu-jar@{VNU_VERSION}"], capture_output=True, text=True, timeout=300)
        if result.returncode != 0 or not jar.is_file():
            pytest.fail(f"npm could not install vnu-jar@{VNU_VERSION} into {prefix}: {result.stderr[-2000:]}")
    return jar
