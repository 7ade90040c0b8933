"""The templates' environment (portal/templating.py): a template import gives what Jinja's own gives, found cheaper."""

from __future__ import annotations

import jinja2
import pytest

from portal import templating

SOURCES = {
    "macros.html": '{% macro show() %}[{{ extra|default("none") }} {{ word }}]{% endmacro %}',
    "page.html": '{% from "macros.html" import show %}{{ show() }}{{ show() }}',
}


class PortalLike(jinja2.Environment):
    template_class = templating.Template


def environments():
    jinja_own = jinja2.Environment(loader=jinja2.DictLoader(SOURCES))
    ours = PortalLike(loader=jinja2.DictLoader(SOURCES))
    for env in (jinja_own, ours):
        env.globals["word"] = "hej"
    return jinja_own, ours


def test_the_method_it_replaces_is_jinjas_own():
    # A Jinja that renamed it would silently skip ours: then this fails and portal/templating.py is to be looked at.
    assert "_get_default_module" in vars(jinja2.Template)
    assert "_get_default_module" in vars(templating.Template)


@pytest.mark.parametrize("render_globals", [None, {"extra": "from the page"}, {"word": "shadowed"}])
def test_an_import_sees_the_same_globals_as_with_jinjas_own(render_globals):
    jinja_own, ours = environments()
    expected = jinja_own.get_template("page.html", globals=render_globals).render()
    assert ours.get_template("page.html", globals=render_globals).render() == expected
    if render_globals and "extra" in render_globals:
        assert "[from the page hej]" in expected  # the page's own global reached the imported macro


def test_without_globals_of_its_own_a_page_reuses_the_imported_module():
    _, ours = environments()
    made = []
    original = templating.Template.make_module

    class Counting(templating.Template):
        def make_module(self, *args, **kwargs):
            made.append(self.name)
            return original(self, *args, **kwargs)

    ours.template_class = Counting
    page = ours.get_template("page.html")
    assert [page.render() for _ in range(3)] == ["[none hej][none hej]"] * 3
    assert made == ["macros.html"]  # made once, then Jinja's cached module
    ours.get_template("page.html", globals={"extra": "x"}).render()
    assert made == ["macros.html", "macros.html"]  # a page with its own globals gets a module that sees them


def test_the_portal_renders_with_it(empty_database):
    from portal import create_app
    from portal.config import load

    app = create_app({"TESTING": True, "PORTAL": load(env={"PORTAL_DATABASE": empty_database}, testing=True)})
    assert isinstance(app.jinja_env, templating.Environment)
    assert app.jinja_env.get_template("partials/case_results.html").__class__ is templating.Template
