"""The page-structure check every HTML answer in the web tests passes (imported as ``pagecheck``).

The web tests' Flask test clients are :class:`CheckedClient` (tests/web/conftest.py), so a page that breaks a
rule fails the test that fetched it, naming the URL and the problem, whatever that test was about.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask.testing import FlaskClient

# Form controls a person fills in or chooses: each needs a label a screen reader can read.
_CONTROLS = "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea"


def structure_problems(html: str) -> list[str]:
    """What is wrong with the structure of an HTML answer: a whole page or an htmx fragment ([] if nothing).

    Anywhere: no id used twice, no heading level skipped on the way down, every form control labelled.
    A whole page also: a language, a title, exactly one ``main`` and exactly one ``h1``.
    """
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    ids = [t["id"] for t in soup.select("[id]")]
    if twice := sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"ids used more than once: {twice}")
    last = 1 if soup.find("html") else None
    for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        level = int(h.name[1])
        if last is not None and level > last + 1:
            problems.append(f"<{h.name}> {_text(h)!r} follows an <h{last}>: a heading level is skipped")
        last = level
    labelled = {label.get("for") for label in soup.select("label[for]")}
    for control in soup.select(_CONTROLS):
        if not (control.get("id") in labelled or control.get("aria-label") or control.get("aria-labelledby")
                or control.find_parent("label")):
            problems.append(f"<{control.name} name={control.get('name')!r}> has no label")
    document = soup.find("html")
    if document is not None:
        if not (document.get("lang") or "").strip():
            problems.append("<html> has no lang")
        if not _text(soup.find("title")):
            problems.append("no <title>, or an empty one")
        if (n := len(soup.select("main"))) != 1:
            problems.append(f"{n} <main> elements, not one")
        if (n := len(soup.select("h1"))) != 1:
            problems.append(f"{n} <h1> elements, not one: {[_text(h) for h in soup.select('h1')]}")
    return problems


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split()) if node is not None else ""


class PageStructureError(AssertionError):
    """An HTML answer broke a structure rule."""


class CheckedClient(FlaskClient):
    """A test client that checks the structure of every HTML answer it gets (a redirect's stub body aside)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
            problems = structure_problems(response.get_data(as_text=True))
            if problems:
                request = response.request
                where = f"{request.method} {request.path}{'?' if request.query_string else ''}" \
                        f"{request.query_string.decode('latin-1')} ({response.status_code})"
                raise PageStructureError(f"{where}: " + "; ".join(problems))
        return response
